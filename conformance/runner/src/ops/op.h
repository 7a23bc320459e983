// The behaviour of one operation, declared once for all of them: each member of Behaviour<Op> is
// defined in src/ops/<op>.cpp (and only there). The generic parts of the harness (case loader,
// protocol codec, reference speaker, judge) reach an operation only through these members, by
// visiting the OpParams / OpOutput / OpExpect variants, never by comparing its name.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "slm/errors.h"
#include "slm/format.h"
#include "slm/source.h"
#include "slm/validate.h"
#include "slmconf/json_fields.h"
#include "slmconf/case.h"

namespace slmconf {

// JSON as read (untrusted input) and as written (keys in the order given). Files that include this
// header say `using wire::json; using wire::ordered;`: case writers keep their own `json`.
namespace wire {
using json = nlohmann::json;
using ordered = nlohmann::ordered_json;
}  // namespace wire

// Paths of a case folder's inputs, resolved and checked (cases/cases.cpp): the adapter operations
// read their parent and stack through it.
class CaseInputs {
public:
  virtual ~CaseInputs() = default;
  // The absolute path of an input object ({"file": ...} etc.), materialised and checked, or why not.
  [[nodiscard]] virtual slm::Result<std::string> resolve(const wire::json& input) = 0;
};

// The first thing an answer gets wrong, in words that name the field and show both values.
struct Mismatch {
  std::string reason;
};

// An accepting answer judged beyond the verdict: at L3 and at L4, nothing (the level holds) or the
// first mismatch.
struct Judgement {
  std::optional<Mismatch> l3, l4, l5;
};

template <class Op>
struct Behaviour {
  using Params = typename Op::Params;
  using Output = typename Op::Output;
  using Expect = typename Op::Expect;

  // expected.json: the case's request section (may be null), its other keys (parent, stack) and,
  // for an accepting case, its expect section. Untrusted: a wrong type is an error, never a default.
  [[nodiscard]] static slm::Result<Params> read_case_params(const wire::json& expected, CaseInputs& inputs);
  // What an acceptance must show: from `expected["expect"]`, and its tags (e.g. "bit-exact").
  [[nodiscard]] static slm::Result<Expect> read_case_expect(const wire::json& expected);

  // The request line's fields beyond seq, op, case and path; and the speaker's strict reader of them.
  static void write_params(const Params& params, wire::ordered& request);
  [[nodiscard]] static slm::Result<Params> read_params(const wire::json& request);

  // An accepting answer's fields beyond the verdict; the runner's lenient reader (a missing or
  // mistyped field is absent, and then fails its level).
  static void write_output(const Output& output, wire::ordered& answer);
  static Output read_output(const wire::json& answer);

  // The reference's execution of a request on `path`.
  static Answer reference(const std::string& path, const Params& params);

  // L3, L4 and L5 of an accepting answer; short texts of what was expected and what came back.
  static Judgement judge(const Expect& expect, const Output& output, Level level);
  static std::string describe(const Expect& expect);
  static std::string describe(const Output& output);

  // The files the request hands the runtime besides its input (a parent, a stack), for timeouts.
  static std::vector<std::string> other_inputs(const Params& params);

  // One-shot mode (spec/protocol.md section 5): the arguments before FILE, or nullopt when this
  // operation cannot be run that way (the case is skipped).
  static std::optional<std::string> oneshot_arguments(const Params& params);
};

// Each operation's behaviour is an explicit specialisation defined in its file (ops/<name>.cpp).
// The language wants every explicit specialisation declared before its first use in each
// translation unit ([temp.expl.spec]): these declarations are that, one line per operation; a
// member an operation's file forgets to define is a link error naming it.
#define SLMCONF_OPERATION(OP)                                                                       \
  template <>                                                                                       \
  slm::Result<OP::Params> Behaviour<OP>::read_case_params(const wire::json&, CaseInputs&);         \
  template <>                                                                                       \
  slm::Result<OP::Expect> Behaviour<OP>::read_case_expect(const wire::json&);                       \
  template <>                                                                                       \
  void Behaviour<OP>::write_params(const OP::Params&, wire::ordered&);                              \
  template <>                                                                                       \
  slm::Result<OP::Params> Behaviour<OP>::read_params(const wire::json&);                            \
  template <>                                                                                       \
  void Behaviour<OP>::write_output(const OP::Output&, wire::ordered&);                              \
  template <>                                                                                       \
  OP::Output Behaviour<OP>::read_output(const wire::json&);                                         \
  template <>                                                                                       \
  Answer Behaviour<OP>::reference(const std::string&, const OP::Params&);                           \
  template <>                                                                                       \
  Judgement Behaviour<OP>::judge(const OP::Expect&, const OP::Output&, Level);                      \
  template <>                                                                                       \
  std::string Behaviour<OP>::describe(const OP::Expect&);                                           \
  template <>                                                                                       \
  std::string Behaviour<OP>::describe(const OP::Output&);                                           \
  template <>                                                                                       \
  std::vector<std::string> Behaviour<OP>::other_inputs(const OP::Params&);                          \
  template <>                                                                                       \
  std::optional<std::string> Behaviour<OP>::oneshot_arguments(const OP::Params&);

SLMCONF_OPERATION(ops::Validate)
SLMCONF_OPERATION(ops::Tokenize)
SLMCONF_OPERATION(ops::Generate)
SLMCONF_OPERATION(ops::ValidateAdapter)
SLMCONF_OPERATION(ops::ApplyAdapter)
SLMCONF_OPERATION(ops::Eval)
#undef SLMCONF_OPERATION

// The operation type of a Params, Output or Expect value.
template <class T, class... Op>
struct OpOfImpl;
template <class T, class First, class... Rest>
struct OpOfImpl<T, First, Rest...> {
  using type = std::conditional_t<std::is_same_v<T, typename First::Params> || std::is_same_v<T, typename First::Output> ||
                                      std::is_same_v<T, typename First::Expect>,
                                  First, typename OpOfImpl<T, Rest...>::type>;
};
template <class T>
struct OpOfImpl<T> {
  using type = void;
};
template <class T, class L>
struct OpOfList;
template <class T, class... Op>
struct OpOfList<T, ops::List<Op...>> {
  using type = typename OpOfImpl<std::decay_t<T>, Op...>::type;
};
template <class T>
using OpOf = typename OpOfList<T, ops::All>::type;

// Calls f(Op{}) for the operation named `name`; false when there is none. The one place a name
// becomes a type.
template <class F, class... Op>
bool with_op_named_impl(std::string_view name, F&& f, ops::List<Op...>) {
  return ((name == Op::name ? (f(Op{}), true) : false) || ...);
}
template <class F>
bool with_op_named(std::string_view name, F&& f) {
  return with_op_named_impl(name, std::forward<F>(f), ops::All{});
}

// ---- Shared by the operations' files (ops/common.cpp) ----

// Strict readers of untrusted JSON fields: json_fields.h.
slm::Status field_error(const char* key, const char* what);  // "field 'key' must be what"

// A generation request's fields, strictly (case request sections and request lines alike).
[[nodiscard]] slm::Result<GenerateParams> read_generate_params(const wire::json& j);
void write_generate_params(const GenerateParams& g, wire::ordered& j);

// Answers: identity, tensors and lineage (lenient readers for runtimes' answers).
// (Identity and lineage JSON: slmconf/identity_json.h.)
std::vector<TensorDigest> tensors_from_json(const wire::json& j);
void write_model_report(const ModelReport& m, wire::ordered& answer);
ModelReport read_model_report(const wire::json& answer);
void write_generation_output(const GenerationOutput& g, wire::ordered& answer);
GenerationOutput read_generation_output(const wire::json& answer);

// Cases: what expected.json records of an acceptance.
[[nodiscard]] slm::Result<ModelReport> read_model_expect(const wire::json& expect);
// `bit_exact`: the case is tagged "bit-exact", so each recorded step's XXH64 must match too.
[[nodiscard]] slm::Result<GenerationExpectation> read_generation_expect(const wire::json& expect, bool bit_exact);
bool has_tag(const wire::json& expected, const char* tag);
[[nodiscard]] slm::Result<Lineage> read_lineage_expect(const wire::json& lineage);

// Judging with messages that name the field and show both values.
[[nodiscard]] std::optional<Mismatch> model_mismatch(const ModelReport& want, const ModelReport& got);
[[nodiscard]] std::optional<Mismatch> generation_mismatch(const GenerationExpectation& want, const GenerationOutput& got);
[[nodiscard]] std::optional<Mismatch> lineage_mismatch(const std::optional<Lineage>& got, const Lineage& want);
std::string tokens_text(const std::vector<std::uint32_t>& tokens);
// XXH64 (seed 0) of the f32 little-endian bytes of a logit vector, 16 hex digits (protocol.md 1.1).
std::string logits_xxh64(const std::vector<float>& logits);

// The reference: a rejection answer from a Status; the SHA-256
// of each tensor's byte_size bytes, in directory order (the one place tensor digests are made).
Answer rejection(const slm::Status& status);
Answer acceptance(OpOutput output);  // the output's alternative is built in place
[[nodiscard]] slm::Result<std::vector<TensorDigest>> tensor_digests(slm::ByteSource& file, const slm::ModelInfo& info);
wire::ordered tensors_to_json(const std::vector<TensorDigest>& tensors);


slm::Status case_error(const std::string& message);  // E_CASE_INVALID

}  // namespace slmconf
