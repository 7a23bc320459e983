// Conformance cases as data (spec/protocol.md, "Cases"): one folder per case with expected.json.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
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

struct Expectation {
  bool accept = false;
  // reject: acceptable codes (usually one), the rule and phase of the first, the offset if stated
  std::vector<std::string> codes;
  std::string rule, phase;
  std::optional<std::uint64_t> offset;
  // accept: identity and per-tensor digests
  std::optional<Identity> identity;
  std::vector<TensorDigest> tensors;
};

struct Case {
  std::string id;           // stable path-like id, "<area>/<name>"
  std::string dir;          // absolute folder of the case
  std::string description;
  std::string spec_version;
  std::string op = "validate";
  Level level = Level::L2;  // the highest level the case tests
  std::string input_path;   // absolute path of the input file (may not exist: "absent" inputs)
  std::string input_sha256; // expected digest of the input, empty when absent
  bool verify_digest = false;
  Expectation expect;
  std::vector<std::string> tags;
  std::vector<std::string> rules;  // spec rules the case exercises (traceability)
};

// What a runtime answered for one case, normalised from any connector.
struct Answer {
  enum class Kind { RESULT, SKIPPED, ERRORED } kind = Kind::RESULT;
  bool accepted = false;
  std::string code;                    // empty when accepted
  std::optional<std::uint64_t> offset;
  std::optional<Identity> identity;
  std::vector<TensorDigest> tensors;   // optional per-tensor digests the runtime reported
  std::string message;                 // skipped/errored reason or error message
};

}  // namespace slmconf
