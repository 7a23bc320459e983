// Adapter bytes -> decode (checks A1-A28) -> binding to a fixed small parent (A29-A36) -> apply
// (A37) onto that parent's description. Whatever the input: a rejected apply leaves the parent's
// description bit-identical, an accepted one yields a valid descendant, and rollback restores the
// parent's exact bytes (spec/adapters.md RT-ADP-004, RT-ADP-006, RT-ADP-008).
#include <cstdint>
#include <span>
#include <vector>

#include "slm/adapter.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmgen/adapter_gen.h"

namespace {

struct Parent {
  std::vector<std::uint8_t> bytes;
  slm::ModelInfo info;
  slm::ModelDescription model;
};

const Parent& parent() {
  static const Parent p = [] {
    Parent out;
    out.bytes = slmgen::adapter_negatives_parent();
    out.info = slm::validate_model(out.bytes, {.verify_digest = true}).value();
    out.model = slm::read_model(out.bytes).value();
    return out;
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const Parent& p = parent();
  const auto standalone = slm::decode_adapter(input);
  const auto bound = slm::validate_adapter(input, p.info);
  if (bound.ok() && !standalone.ok()) __builtin_trap();  // binding only adds checks

  slm::ModelDescription model = p.model;
  const std::vector<std::span<const std::uint8_t>> stack = {input};
  auto applied = slm::apply_adapters(model, stack);
  if (applied.ok() != bound.ok() && bound.ok()) {
    // a bound adapter may still fail A37 (a non-finite sum), never the other way round
    if (applied.status().code != slm::ErrorCode::E_ADP_APPLY_NONFINITE) __builtin_trap();
  }
  if (!applied.ok()) {
    if (slm::write_model(model) != p.bytes) __builtin_trap();  // all or nothing
    return 0;
  }
  if (!bound.ok()) __builtin_trap();
  if (!slm::validate_model(applied->descendant, {.verify_digest = true}).ok()) __builtin_trap();
  slm::rollback_adapters(model, applied.value());
  if (slm::write_model(model) != p.bytes) __builtin_trap();
  return 0;
}
