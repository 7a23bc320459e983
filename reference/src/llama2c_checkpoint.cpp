#include "slm/llama2c_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "slm/architecture.h"
#include "slm/bytes.h"
#include "slm/llama2c.h"
#include "slm/math.h"
#include "slm/quant.h"
#include "slm/validate.h"

namespace slm {

namespace {

constexpr float kLlama2cEps = 1e-5f;
constexpr float kLlama2cTheta = 10000.0f;

Status malformed(std::uint64_t offset, std::string message) {
  return make_error(ErrorCode::E_CONVERT_INPUT, offset, std::move(message));
}

// The llama2.c arrays in file order, as (name in SLM, element count). They are the architecture's
// tensors (required_tensors, the one list) field-major: the embedding, then each per-layer weight
// for every layer in turn, the final norm, two RoPE tables SLM does not store, the classifier last.
struct Array {
  std::string slm_name;  // empty: skipped (freq_cis)
  std::uint64_t elements;
};

std::vector<Array> llama2c_arrays(const Hyperparameters& hp, bool unshared) {
  const auto tensors = required_tensors(hp, unshared);
  const auto array = [](const RequiredTensor& t) {
    std::uint64_t n = 1;
    for (std::uint64_t d : t.shape) n *= d;
    return Array{t.name, n};
  };
  const std::size_t per_layer = static_cast<std::size_t>(required_tensor_count(1, false) - required_tensor_count(0, false));
  std::vector<Array> out = {array(tensors.front())};  // tok_embeddings
  for (std::size_t field = 0; field < per_layer; ++field) {
    for (std::size_t l = 0; l < hp.n_layers; ++l) out.push_back(array(tensors[1 + l * per_layer + field]));
  }
  out.push_back(array(tensors[1 + hp.n_layers * per_layer]));  // norm
  const std::uint64_t half = hp.dim / hp.n_heads / 2;
  out.push_back({"", std::uint64_t{hp.max_seq_len} * half});  // freq_cis_real
  out.push_back({"", std::uint64_t{hp.max_seq_len} * half});  // freq_cis_imag
  if (unshared) out.push_back(array(tensors.back()));         // output
  return out;
}

}  // namespace

Result<ModelDescription> import_llama2c(std::span<const std::uint8_t> checkpoint,
                                        std::span<const std::uint8_t> tokenizer_bin, DType matrix_dtype) {
  if (checkpoint.size() < 28) return malformed(checkpoint.size(), "checkpoint ends inside its 28-byte config");
  std::int32_t config[7];
  std::memcpy(config, checkpoint.data(), sizeof config);
  const bool unshared = config[5] < 0;
  const std::int64_t vocab = unshared ? -std::int64_t{config[5]} : config[5];
  ModelDescription m;
  m.untied_output = unshared;
  auto& hp = m.hparams;
  for (int i = 0; i < 7; ++i) {
    if (i != 5 && config[i] <= 0) return malformed(4 * static_cast<std::uint64_t>(i), "config field is not positive");
  }
  if (vocab <= 0 || vocab > limits::kMaxVocab) return malformed(20, "vocab_size out of range");
  hp = {static_cast<std::uint32_t>(vocab),        static_cast<std::uint32_t>(config[0]),
        static_cast<std::uint32_t>(config[1]),    static_cast<std::uint32_t>(config[2]),
        static_cast<std::uint32_t>(config[3]),    static_cast<std::uint32_t>(config[4]),
        static_cast<std::uint32_t>(config[6]),    kLlama2cEps,
        kLlama2cTheta};
  if (hp.dim > limits::kMaxDim || hp.hidden_dim > limits::kMaxHiddenDim || hp.n_layers > limits::kMaxLayers ||
      hp.n_heads > limits::kMaxHeads || hp.n_kv_heads > limits::kMaxHeads || hp.max_seq_len > limits::kMaxSeqLen) {
    return malformed(0, "config exceeds the SLM1 limits");
  }
  if (auto s = validate_hparams(hp); !s.ok()) return malformed(0, "inconsistent config: " + s.message);
  // The arrays must fill the file exactly (sizes bounded by the limits above: no overflow).
  const auto arrays = llama2c_arrays(hp, unshared);
  std::uint64_t expected = 28;
  for (const auto& a : arrays) expected += 4 * a.elements;
  if (expected != checkpoint.size()) {
    return malformed(checkpoint.size(), "config implies " + std::to_string(expected) + " bytes, the file has " +
                                            std::to_string(checkpoint.size()));
  }
  auto tokenizer = import_llama2c_tokenizer(tokenizer_bin, hp.vocab_size);
  if (!tokenizer.ok()) return tokenizer.status();
  m.tokenizer = std::move(tokenizer.value());
  // Gather the arrays by name, then emit them in SLM's canonical order.
  std::vector<std::pair<std::string, std::span<const std::uint8_t>>> found;
  std::uint64_t at = 28;
  for (const auto& a : arrays) {
    // at + 4 * elements <= checkpoint.size() (checked above), so both fit in size_t on 32-bit targets
    if (!a.slm_name.empty()) {
      found.push_back({a.slm_name, checkpoint.subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(4 * a.elements))});
    }
    at += 4 * a.elements;
  }
  for (const auto& req : required_tensors(hp, unshared)) {
    std::span<const std::uint8_t> bytes;
    for (const auto& [name, b] : found) {
      if (name == req.name) bytes = b;
    }
    DType dtype = DType::F32;
    if (!req.norm && matrix_dtype != DType::F32) {
      if (req.shape.back() % kBlockSize != 0) return malformed(0, req.name + ": dims are not a multiple of 32");
      dtype = matrix_dtype;
    }
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    if (dtype != DType::F32) {
      std::vector<float> values(bytes.size() / 4);
      std::memcpy(values.data(), bytes.data(), bytes.size());
      data = encode_tensor(dtype, values);
    }
    m.tensors.push_back({req.name, dtype, req.shape, std::move(data)});
  }
  return m;
}

Result<Llama2cFiles> export_llama2c(const ModelDescription& m) {
  const auto& hp = m.hparams;
  if (m.tokenizer.kind != TokenizerKind::BPE) return malformed(kNoOffset, "llama2.c needs a BPE tokenizer");
  if (hp.norm_eps != kLlama2cEps || hp.rope_theta != kLlama2cTheta) {
    return malformed(kNoOffset, "llama2.c fixes norm_eps = 1e-5 and rope_theta = 10000");
  }
  if (m.tokenizer.bos_id != 1 || m.tokenizer.eos_id != 2 || (m.tokenizer.flags & kTokFlagDummyPrefix) == 0) {
    return malformed(kNoOffset, "llama2.c assumes BOS 1, EOS 2 and the dummy prefix");
  }
  // llama2.c's encode looks up " " for the dummy prefix and keeps the id it gets: -1 when there is no
  // such piece, after which its merge loop reads vocab[-1]. Only a normal piece counts: SLM's lookup
  // never returns ids 0..258 (runtime-tokenizer.md, RT-TOK-006), so a special spelled " " would make
  // the two encoders differ.
  const auto& pieces = m.tokenizer.pieces;
  if (pieces.size() <= kByteVocabSize ||
      std::none_of(pieces.begin() + kByteVocabSize, pieces.end(), [](const TokenizerPiece& p) { return p.bytes == " "; })) {
    return malformed(kNoOffset, "llama2.c's encoder needs the normal piece \" \" (its dummy prefix); the vocabulary has none");
  }
  for (const auto& t : m.tensors) {
    if (t.dtype != DType::F32) return malformed(kNoOffset, "only f32 models can be exported (" + t.name + ")");
  }
  Llama2cFiles out;
  ByteWriter w;
  const std::int32_t vocab = static_cast<std::int32_t>(hp.vocab_size);
  for (std::int32_t v : {static_cast<std::int32_t>(hp.dim), static_cast<std::int32_t>(hp.hidden_dim),
                         static_cast<std::int32_t>(hp.n_layers), static_cast<std::int32_t>(hp.n_heads),
                         static_cast<std::int32_t>(hp.n_kv_heads), m.untied_output ? -vocab : vocab,
                         static_cast<std::int32_t>(hp.max_seq_len)}) {
    w.u32(static_cast<std::uint32_t>(v));
  }
  const std::uint32_t head_dim = hp.dim / hp.n_heads, half = head_dim / 2;
  for (const auto& a : llama2c_arrays(hp, m.untied_output)) {
    if (a.slm_name.empty()) continue;  // freq_cis: written below, in their place
    for (const auto& t : m.tensors) {
      if (t.name == a.slm_name) w.raw(t.bytes);
    }
    if (a.slm_name == "norm.weight") {
      // freq_cis_real then freq_cis_imag, as llama2.c's legacy export wrote them (run.c skips them)
      for (int part = 0; part < 2; ++part) {
        for (std::uint32_t pos = 0; pos < hp.max_seq_len; ++pos) {
          for (std::uint32_t j = 0; j < half; ++j) {
            const double freq = math::exp(-(2.0 * j / head_dim) * math::log(10000.0));
            const double angle = pos * freq;
            w.f32(static_cast<float>(part == 0 ? math::cos(angle) : math::sin(angle)));
          }
        }
      }
    }
  }
  out.checkpoint = std::move(w.bytes());
  out.tokenizer = export_llama2c_tokenizer(m.tokenizer);
  return out;
}

}  // namespace slm
