// Shared fixtures for the adapter tests: random parents (RapidCheck), parents of one dtype, and
// small helpers to read results.
#pragma once
#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "slm/adapter.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmgen/adapter_gen.h"
#include "slmgen/model_gen.h"

namespace slmtest {

inline std::string code_name(const slm::Status& s) { return std::string(slm::error_info(s.code).name); }

// The parent identity adapters bind to: full validation (the content digest is verified).
inline slm::ModelInfo full_info(const std::vector<std::uint8_t>& model) {
  auto info = slm::validate_model(model, {.verify_digest = true});
  return info.ok() ? info.value() : slm::ModelInfo{};
}

// The tiny shape (dim 32, kv_dim 16, hidden 64, one layer) with every matrix in `dtype`; norms f32.
inline slm::ModelDescription tiny_parent(slm::DType dtype, std::uint64_t seed = 3, bool untied = false) {
  slmgen::ModelOptions o = *slmgen::preset("tiny");
  o.embedding_dtype = o.attention_dtype = o.ffn_dtype = o.output_dtype = dtype;
  o.untied_output = untied;
  o.seed = seed;
  return slmgen::generate_model(o);
}

// A random valid parent: small shapes, any dtypes (multiples of 32 so every dtype is allowed).
inline slmgen::ModelOptions random_parent_options() {
  slmgen::ModelOptions o;
  const auto any_dtype = [] { return *rc::gen::element(slm::DType::F32, slm::DType::Q8_0, slm::DType::Q4_0); };
  o.hparams.dim = 32 * *rc::gen::inRange(1u, 3u);
  o.hparams.n_heads = *rc::gen::element(1u, 2u);
  o.hparams.n_kv_heads = *rc::gen::element(1u, o.hparams.n_heads);
  o.hparams.hidden_dim = 32 * *rc::gen::inRange(1u, 4u);
  o.hparams.n_layers = *rc::gen::inRange(1u, 3u);
  o.hparams.max_seq_len = 16;
  o.hparams.norm_eps = 1e-5f;
  o.hparams.rope_theta = 10000.0f;
  o.hparams.vocab_size = 259;
  o.untied_output = *rc::gen::arbitrary<bool>();
  o.embedding_dtype = any_dtype();
  o.attention_dtype = any_dtype();
  o.ffn_dtype = any_dtype();
  o.output_dtype = any_dtype();
  o.seed = *rc::gen::arbitrary<std::uint64_t>();
  return o;
}

inline slmgen::AdapterOptions random_adapter_options(slm::AdapterKind kind) {
  slmgen::AdapterOptions a;
  a.kind = kind;
  a.seed = *rc::gen::arbitrary<std::uint64_t>();
  a.entries = *rc::gen::inRange(1u, 5u);
  a.max_nnz = *rc::gen::inRange<std::uint64_t>(1, 64);
  a.max_rank = *rc::gen::inRange(1u, 9u);
  return a;
}

inline slm::AdapterEntry dense_entry(std::string name, std::vector<std::uint64_t> shape, std::vector<float> values) {
  slm::AdapterEntry e;
  e.name = std::move(name);
  e.shape = std::move(shape);
  e.values = std::move(values);
  return e;
}

inline slm::AdapterEntry sparse_entry(std::string name, std::vector<std::uint64_t> shape, std::vector<std::uint64_t> indices,
                                      std::vector<float> values) {
  slm::AdapterEntry e = dense_entry(std::move(name), std::move(shape), std::move(values));
  e.indices = std::move(indices);
  return e;
}

inline slm::AdapterKind any_kind() {
  return *rc::gen::element(slm::AdapterKind::DENSE, slm::AdapterKind::SPARSE, slm::AdapterKind::LOW_RANK);
}

}  // namespace slmtest
