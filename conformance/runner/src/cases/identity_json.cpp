#include "slmconf/identity_json.h"

#include <array>

#include "slm/sha256.h"

namespace slmconf {

using nlohmann::json;
using nlohmann::ordered_json;

bool parse_hex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != 2 * out.size()) return false;
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // upper case is not the canonical spelling
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

namespace {

bool hex_field(const json& j, const char* key, std::span<std::uint8_t> out) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() && parse_hex(it->get_ref<const std::string&>(), out);
}

bool u64_hex_field(const json& j, const char* key, std::uint64_t& out) {
  std::array<std::uint8_t, 8> b{};
  if (!hex_field(j, key, b)) return false;
  out = 0;
  for (std::uint8_t x : b) out = out << 8 | x;  // most significant digit first
  return true;
}

template <class T>
bool unsigned_field(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > std::numeric_limits<T>::max()) return false;
  out = it->get<T>();
  return true;
}

std::optional<slm::AdapterKind> kind_named(const json& j) {
  if (!j.is_string()) return std::nullopt;
  for (auto k : {slm::AdapterKind::DENSE, slm::AdapterKind::SPARSE, slm::AdapterKind::LOW_RANK}) {
    if (j.get_ref<const std::string&>() == slm::adapter_kind_name(k)) return k;
  }
  return std::nullopt;
}

}  // namespace

ordered_json identity_json(const slm::Identity& id) {
  return {{"parameter_count", id.parameter_count},
          {"tensor_count", id.tensor_count},
          {"flags", id.flags},
          {"layout_checksum", slm::to_hex_u64(id.layout_checksum)},
          {"tokenizer_checksum", slm::to_hex_u64(id.tokenizer_checksum)},
          {"content_digest", slm::to_hex(id.content_digest)}};
}

std::optional<slm::Identity> identity_from_json(const json& j) {
  slm::Identity id;
  if (!j.is_object() || !unsigned_field(j, "parameter_count", id.parameter_count) ||
      !unsigned_field(j, "tensor_count", id.tensor_count) || !unsigned_field(j, "flags", id.flags) ||
      !u64_hex_field(j, "layout_checksum", id.layout_checksum) || !u64_hex_field(j, "tokenizer_checksum", id.tokenizer_checksum) ||
      !hex_field(j, "content_digest", id.content_digest)) {
    return std::nullopt;
  }
  return id;
}

ordered_json lineage_json(const slm::Lineage& l) {
  ordered_json steps = ordered_json::array();
  for (const auto& s : l.steps) {
    steps.push_back({{"kind", slm::adapter_kind_name(s.kind)},
                     {"adapter_digest", slm::to_hex(s.adapter_digest)},
                     {"descendant_digest", slm::to_hex(s.descendant_digest)}});
  }
  return {{"parent_digest", slm::to_hex(l.parent_digest)}, {"steps", steps}};
}

std::optional<slm::Lineage> lineage_from_json(const json& j) {
  slm::Lineage l;
  if (!j.is_object() || !hex_field(j, "parent_digest", l.parent_digest) || !j.contains("steps") || !j["steps"].is_array()) {
    return std::nullopt;
  }
  for (const auto& st : j["steps"]) {
    slm::LineageStep s;
    const auto kind = st.is_object() && st.contains("kind") ? kind_named(st["kind"]) : std::nullopt;
    if (!kind || !hex_field(st, "adapter_digest", s.adapter_digest) || !hex_field(st, "descendant_digest", s.descendant_digest)) {
      return std::nullopt;
    }
    s.kind = *kind;
    l.steps.push_back(s);
  }
  return l;
}

nlohmann::ordered_json hyperparameters_json(const slm::Hyperparameters& hp) {
  return {{"vocab_size", hp.vocab_size}, {"dim", hp.dim}, {"hidden_dim", hp.hidden_dim}, {"n_layers", hp.n_layers},
          {"n_heads", hp.n_heads}, {"n_kv_heads", hp.n_kv_heads}, {"max_seq_len", hp.max_seq_len},
          {"norm_eps", hp.norm_eps}, {"rope_theta", hp.rope_theta}};
}

nlohmann::ordered_json tensors_by_dtype_json(const slm::ModelInfo& info) {
  std::uint64_t f32 = 0, q8 = 0, q4 = 0;
  for (const auto& t : info.tensors) (t.dtype == slm::DType::F32 ? f32 : t.dtype == slm::DType::Q8_0 ? q8 : q4)++;
  return {{"f32", f32}, {"q8_0", q8}, {"q4_0", q4}};
}

nlohmann::ordered_json diagnostics_json(const slm::Diagnostics& d) {
  return {{"prompt_tokens", d.prompt_tokens},
          {"generated_tokens", d.generated_tokens},
          {"seconds", d.seconds},
          {"tokens_per_second", d.tokens_per_second},
          {"scratch_bytes", d.scratch_bytes},
          {"kv_cache_bytes", d.kv_cache_bytes},
          {"model_bytes", d.model_bytes},
          {"tensors_by_dtype", {{"f32", d.tensors_f32}, {"q8_0", d.tensors_q8_0}, {"q4_0", d.tensors_q4_0}}},
          {"adapter_count", d.adapter_count}};
}

}  // namespace slmconf
