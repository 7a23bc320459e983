// Conformance cases as data (spec/protocol.md, "Cases"): one folder per case with expected.json.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slmconf {

enum class Level : int { L1 = 1, L2 = 2, L3 = 3, L4 = 4, L5 = 5 };
const char* level_name(Level level);

struct TensorDigest {
  std::string name, dtype, sha256;
  std::vector<std::uint64_t> shape;
};

struct Identity {
  std::uint64_t parameter_count = 0;
  std::uint32_t tensor_count = 0, flags = 0;
  std::string layout_checksum, tokenizer_checksum, content_digest;  // lowercase hex
  bool operator==(const Identity&) const = default;
};

// What op "generate" asks for (spec/protocol.md, "Generation cases"); spec/runtime.md defines each.
struct GenerateParams {
  std::string prompt;
  std::uint32_t max_tokens = 64, top_k = 0;
  float temperature = 0.0f, top_p = 1.0f;
  std::uint64_t seed = 0;
  std::uint32_t logit_steps = 0;  // full logits of this many first steps are reported
};

// Expected logits of one step: the `top` largest (token, logit), largest first.
struct StepLogits {
  std::uint32_t step = 0;
  std::vector<std::pair<std::uint32_t, float>> top;
};

// L4: ops tokenize and generate. Token streams are compared exactly, logits within tolerance.
struct GenerationExpectation {
  std::vector<std::uint32_t> prompt_tokens, tokens;
  std::optional<std::string> text;  // absent when the decoded bytes are not valid UTF-8
  std::string stop_reason;          // generate only
  std::optional<float> min_margin;  // informative: the smallest winning logit margin
  std::vector<StepLogits> logits;
  double logit_abs_tolerance = 0, logit_rel_tolerance = 0;
};

// apply_adapter: the digests of a stack's steps (spec/adapters.md, "Lineage"), lowercase hex.
struct LineageStep {
  std::string kind, adapter_digest, descendant_digest;
  bool operator==(const LineageStep&) const = default;
};
struct Lineage {
  std::string parent_digest;
  std::vector<LineageStep> steps;
  bool operator==(const Lineage&) const = default;
};

struct Expectation {
  bool accept = false;
  // reject: acceptable codes (usually one), the rule and phase of the first, the offset if stated
  std::vector<std::string> codes;
  std::string rule, phase;
  std::optional<std::uint64_t> offset;
  // accept: identity and per-tensor digests
  std::optional<Identity> identity;
  std::vector<TensorDigest> tensors;
  std::optional<GenerationExpectation> generation;  // accept with op tokenize / generate (or apply_adapter)
  std::optional<Lineage> lineage;                   // accept with op apply_adapter
};

struct Case {
  std::string id;           // stable path-like id, "<area>/<name>"
  std::string dir;          // absolute folder of the case
  std::string description;
  std::string spec_version;
  std::string op = "validate";  // validate | tokenize | generate | validate_adapter | apply_adapter
  Level level = Level::L2;  // the highest level the case tests
  std::string input_path;   // absolute path of the input file (may not exist: "absent" inputs)
  std::string input_sha256; // expected digest of the input, empty when absent
  bool verify_digest = false;
  std::string text;       // tokenize: the text to encode
  bool add_bos = true;    // tokenize
  GenerateParams generate;      // generate; apply_adapter when prompt or max_tokens is set
  std::string parent_path;      // validate_adapter / apply_adapter: the parent model (input_path is the adapter)
  std::vector<std::string> stack_paths;  // apply_adapter: adapters applied after the first, in order
  bool generate_after_apply = false;
  Expectation expect;
  std::vector<std::string> tags;
  std::vector<std::string> rules;  // spec rules the case exercises (traceability)
  std::string load_error;          // non-empty: the case could not be loaded and is reported errored
};

// What a runtime answered for one case, normalised from any connector.
struct Answer {
  enum class Kind { RESULT, SKIPPED, ERRORED } kind = Kind::RESULT;
  bool accepted = false;
  std::string code;                    // empty when accepted
  std::optional<std::uint64_t> offset;
  std::optional<Identity> identity;
  std::vector<TensorDigest> tensors;   // optional per-tensor digests the runtime reported
  // tokenize / generate: what the runtime produced (tokenize fills tokens and text only)
  std::vector<std::uint32_t> prompt_tokens, tokens;
  std::optional<std::string> text;
  std::string stop_reason;
  std::vector<std::vector<float>> logits;
  std::optional<Lineage> lineage;      // apply_adapter
  std::string message;                 // skipped/errored reason or error message
};

}  // namespace slmconf
