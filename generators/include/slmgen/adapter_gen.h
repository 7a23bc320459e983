// Adapters for tests, fixtures and sample packages (spec/adapters.md): random valid dense, sparse
// and low-rank adapters for a given parent, seeded with SplitMix64, and one-fault negatives, each
// of which breaks exactly one rule of spec/adapters.md and is otherwise valid for its parent.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "slm/adapter.h"
#include "slm/errors.h"
#include "slm/validate.h"

namespace slmgen {

struct AdapterOptions {
  slm::AdapterKind kind = slm::AdapterKind::DENSE;
  std::uint64_t seed = 1;
  std::uint32_t entries = 2;  // tensors to change (>= 1), capped by what the parent has (low-rank: its matrices)
  float scale = 1.0f / 64;    // every value (dense delta, sparse value, A and B) is uniform in [-scale, scale)
  std::uint64_t max_nnz = 8;  // sparse: nnz is uniform in 1..min(max_nnz, n)
  std::uint32_t max_rank = 4; // low-rank: rank is uniform in 1..min(max_rank, out, in)
};

// A random valid adapter bound to `parent`, which must have passed full validation
// (slm::validate_model with verify_digest). Targets are distinct tensors chosen by the seed;
// entries are sorted by name. Same parent, same options: same adapter. Write it with
// slm::write_adapter.
slm::Adapter generate_adapter(const slm::ModelInfo& parent, const AdapterOptions& options);

struct AdapterNegativeCase {
  std::string id;           // stable case id, "<kind>/<fault>", e.g. "dense/bad-magic"
  std::string file;         // relative file name: id plus the kind's extension (.adp, .asp, .alr)
  slm::ErrorCode expected;  // the code the first failing check produces against the parent
  std::string description;
  std::vector<std::uint8_t> bytes;
};

// The parent every negative is validated against: slmgen::negatives_base_model() (tiny, untied,
// f32 norms, q8_0 embedding, q4_0 matrices).
std::vector<std::uint8_t> adapter_negatives_parent();

// The valid adapters the negatives are edited from, one per kind, bound to that parent.
std::vector<std::uint8_t> adapter_negatives_base(slm::AdapterKind kind);

// At least one negative per rule SLM-ADP-001 ... SLM-ADP-037, validated against
// adapter_negatives_parent() (and applied, for the SLM-ADP-037 case).
std::vector<AdapterNegativeCase> make_adapter_negatives();

// ".adp", ".asp", ".alr"
std::string adapter_extension(slm::AdapterKind kind);

}  // namespace slmgen
