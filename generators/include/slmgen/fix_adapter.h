// "Fix" adapters (spec/generators.md, "Fix adapters"): the delta that turns a model into another of
// the same shape, e.g. a programmed model into the same program with one continuation corrected.
// The descendant the adapter produces is checked, not assumed: the caller runs the target program on it.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "slm/adapter.h"
#include "slm/errors.h"
#include "slm/writer.h"

namespace slmgen {

// An adapter of `kind` bound to `parent` (the file's bytes; it must pass full validation) whose
// entries are the tensors where `target` differs from the parent, each delta = target - parent in
// f32 (both dequantized). Dense: every element of a changed tensor; sparse: only the changed
// elements; low-rank: B selects the changed rows and A holds their deltas (rank = changed rows,
// alpha = rank, so the scale is 1 and the merge is exact), for matrices only.
// Errors: the parent's own code when it fails validation (message prefixed "parent: "), else
// E_PROGRAM_INVALID (SLM-TOOL-008): the target does not have the parent's shape, equals it, or
// needs a low-rank change of a tensor that is not a matrix.
slm::Result<slm::Adapter> make_fix_adapter(std::span<const std::uint8_t> parent, const slm::ModelDescription& target,
                                           slm::AdapterKind kind);

}  // namespace slmgen
