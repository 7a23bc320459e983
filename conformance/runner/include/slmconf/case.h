// Conformance cases as data (spec/protocol.md, "Cases"), and what a runtime answers to one.
//
// The harness's operations are types. Each operation (namespace slmconf::ops) is a struct with its
// wire name and three nested types: Params (what a request asks), Output (what an accepting answer
// carries beyond the verdict) and Expect (what a case requires of an acceptance). Its behaviour (case
// file, request and answer lines, the reference's execution, judging) lives in one file,
// conformance/runner/src/ops/<name>.cpp. Adding an operation: a struct here, its name in `All`, one
// SLMCONF_OPERATION line in ops/op.h, its file, its schema and its protocol.md section; the compiler
// and linker point at anything missing.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "slm/adapter.h"
#include "slm/format.h"

namespace slmconf {

enum class Level : int { L1 = 1, L2 = 2, L3 = 3, L4 = 4, L5 = 5 };
const char* level_name(Level level);
[[nodiscard]] bool parse_level(const std::string& name, Level& out);  // "L3" -> L3; false for anything else

struct TensorDigest {
  std::string name, dtype, sha256;
  std::vector<std::uint64_t> shape;
};

// A model's identity and a stack's lineage are the library's types (one of each in the project);
// their JSON is slmconf/identity_json.h.
using slm::Identity;
using slm::Lineage;

// A generation request (spec/protocol.md, "Generation cases"); spec/runtime.md defines each field.
struct GenerateParams {
  std::string prompt;
  std::uint32_t max_tokens = 64, top_k = 0;
  float temperature = 0.0f, top_p = 1.0f;
  std::uint64_t seed = 0;
  std::uint32_t logit_steps = 0;  // full logits of this many first steps are reported
};

// What a generation produced.
struct GenerationOutput {
  std::vector<std::uint32_t> prompt_tokens, tokens;
  std::optional<std::string> text;  // absent when the runtime reported none
  std::string stop_reason;
  std::vector<std::vector<float>> logits;
};

// Expected logits of one step: the whole vector, its digest, and the `top` largest for people.
struct StepLogits {
  std::uint32_t step = 0;
  std::vector<std::pair<std::uint32_t, float>> top;  // (token, logit), largest first
  std::vector<float> values;                          // every logit, in id order (judged within tolerance)
  std::optional<std::string> xxh64;                   // of the f32 LE bytes of `values` (judged in bit-exact cases)
};

// L4 of a generation: token streams exactly, logits within tolerance.
struct GenerationExpectation {
  std::vector<std::uint32_t> prompt_tokens, tokens;
  std::optional<std::string> text;  // absent when the decoded bytes are not valid UTF-8
  std::string stop_reason;
  std::optional<float> min_margin;  // informative: the smallest winning logit margin
  std::vector<StepLogits> logits;
  double logit_abs_tolerance = 0, logit_rel_tolerance = 0;
  bool bit_exact = false;  // the case is tagged "bit-exact": each step's xxh64 must match
};

// A model as an accepting answer describes it (L3): identity and per-tensor digests.
struct ModelReport {
  std::optional<Identity> identity;
  std::vector<TensorDigest> tensors;
};

namespace ops {

// validate: the input is a model; full validation when verify_digest.
struct Validate {
  static constexpr std::string_view name = "validate";
  struct Params {
    bool verify_digest = false;
  };
  struct Output {
    ModelReport model;
  };
  struct Expect {
    ModelReport model;
  };
};

// tokenize: the model's tokenizer encodes a text.
struct Tokenize {
  static constexpr std::string_view name = "tokenize";
  struct Params {
    std::string text;
    bool add_bos = true;
  };
  struct Output {
    std::vector<std::uint32_t> tokens;
    std::optional<std::string> text;
  };
  struct Expect {
    GenerationExpectation generation;  // tokens and, when recorded, text
  };
};

// generate: the model continues a prompt.
struct Generate {
  static constexpr std::string_view name = "generate";
  struct Params {
    GenerateParams generate;
  };
  struct Output {
    GenerationOutput generation;
  };
  struct Expect {
    GenerationExpectation generation;
  };
};

// validate_adapter: the input is an adapter, checked against a parent model.
struct ValidateAdapter {
  static constexpr std::string_view name = "validate_adapter";
  struct Params {
    std::string parent;
  };
  struct Output {};
  struct Expect {};
};

// apply_adapter: the input and the stack are applied in order to the parent; the descendant may
// then generate.
struct ApplyAdapter {
  static constexpr std::string_view name = "apply_adapter";
  struct Params {
    std::string parent;
    std::vector<std::string> stack;  // adapters applied after the input, in order
    std::optional<GenerateParams> generate;
  };
  struct Output {
    ModelReport model;
    std::optional<Lineage> lineage;
    std::optional<GenerationOutput> generation;
  };
  struct Expect {
    ModelReport model;
    std::optional<Lineage> lineage;
    std::optional<GenerationExpectation> generation;
  };
};

// eval: the input model (through `adapters`, in order) runs an eval set (spec/eval.md); the answer
// is the sidecar's reproducible part (L5).
struct Eval {
  static constexpr std::string_view name = "eval";
  struct Params {
    std::string set;
    std::vector<std::string> adapters;
    std::optional<std::string> policy, baseline;
  };
  struct Output {
    std::string sidecar;  // the reproducible part, canonical JSON (eval.md 2)
  };
  struct Expect {
    std::string sidecar;  // canonical JSON
  };
};

template <class... Op>
struct List {
  using Params = std::variant<typename Op::Params...>;
  using Output = std::variant<typename Op::Output...>;
  using Expect = std::variant<typename Op::Expect...>;
};

// Every operation, in the order the spec introduces them.
using All = List<Validate, Tokenize, Generate, ValidateAdapter, ApplyAdapter, Eval>;

}  // namespace ops

using OpParams = ops::All::Params;  // the operation of a request, and its parameters
using OpOutput = ops::All::Output;
using OpExpect = ops::All::Expect;

// The name of the operation a value belongs to (the variant's alternative).
std::string_view op_name(const OpParams& params);

// What a case expects: a verdict, and for a rejection the code(s), rule, phase and offset.
struct Expectation {
  bool accept = false;
  std::vector<std::string> codes;  // acceptable codes (usually one)
  std::string rule, phase;
  std::optional<std::uint64_t> offset;
  bool no_offset = false;             // "offset": null: the code has no offset, the answer's must be null
  std::optional<std::uint64_t> step;  // apply_adapter: the failing step (0 the parent, 1 the input, 2... the stack)
  OpExpect on_accept;              // what an acceptance must also show (the same operation as the params)
};

struct Case {
  std::string id;           // stable path-like id, "<area>/<name>"
  std::string dir;          // absolute folder of the case
  std::string description;
  std::string spec_version;
  Level level = Level::L2;  // the highest level the case tests
  std::string input_path;   // absolute path of the input file (may not exist: "absent" inputs)
  std::string input_sha256; // expected digest of the input, empty when absent
  OpParams params;          // the operation and its parameters (paths resolved)
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
  std::optional<std::uint64_t> step;   // apply_adapter: the failing step (0 the parent, 1 the input, 2... the stack)
  std::string message;                 // skipped/errored reason or error message
  OpOutput output;                     // accepted: the operation's outputs
};

}  // namespace slmconf
