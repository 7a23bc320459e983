#include "slmconf/program_json.h"

#include "slmconf/json_fields.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace slmconf {

using nlohmann::json;

namespace {

slm::Status invalid(std::string message) {
  return slm::make_error(slm::ErrorCode::E_PROGRAM_INVALID, slm::kNoOffset, std::move(message));
}

}  // namespace

slm::Result<slmgen::ModelProgram> program_from_json_text(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("a program is a JSON object");
  static const char* known[] = {"tokenizer", "vocab", "dim", "hidden_dim", "layers", "heads", "kv_heads",
                                "max_seq_len", "dtype", "seed", "min_margin", "entries", "pieces"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) return invalid("unknown key '" + key + "'");
  }
  slmgen::ModelProgram p;
  // The first field, in this order, that is wrong.
  if (!read_string(j, "tokenizer", p.tokenizer)) return invalid("tokenizer must be a string");
  const std::pair<const char*, std::uint32_t*> sizes[] = {
      {"vocab", &p.vocab},   {"dim", &p.dim},           {"hidden_dim", &p.hidden_dim},  {"layers", &p.layers},
      {"heads", &p.heads},   {"kv_heads", &p.kv_heads}, {"max_seq_len", &p.max_seq_len}};
  for (const auto& [key, out] : sizes) {
    if (!read_u32(j, key, *out)) return invalid(std::string(key) + " must be an unsigned integer below 2^32");
  }
  if (!read_string(j, "dtype", p.dtype)) return invalid("dtype must be a string");
  if (!read_u64(j, "seed", p.seed)) return invalid("seed must be an unsigned integer below 2^64");
  if (!read_f32(j, "min_margin", p.min_margin)) return invalid("min_margin must be a number");
  if (j.contains("pieces")) {
    if (!j["pieces"].is_array() || j["pieces"].size() > 4096) return invalid("pieces must be an array of at most 4096 strings");
    for (const auto& x : j["pieces"]) {
      if (!x.is_string()) return invalid("pieces must be an array of at most 4096 strings");
      p.pieces.push_back(x.get<std::string>());
    }
    if (j.contains("vocab")) return invalid("a program has vocab or pieces, not both");
  }
  if (!j.contains("entries") || !j["entries"].is_array()) return invalid("entries must be an array");
  for (const auto& e : j["entries"]) {
    if (!e.is_object() || !e.contains("prompt") || !e.contains("continuation") || !e["prompt"].is_string() ||
        !e["continuation"].is_string()) {
      return invalid("each entry is {\"prompt\": string, \"continuation\": string}");
    }
    p.entries.push_back({e["prompt"].get<std::string>(), e["continuation"].get<std::string>()});
  }
  return p;
}

std::string program_to_json_text(const slmgen::ModelProgram& p) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& e : p.entries) entries.push_back({{"prompt", e.prompt}, {"continuation", e.continuation}});
  nlohmann::ordered_json j = {{"tokenizer", p.tokenizer}};
  if (p.tokenizer == "bpe" && p.pieces.empty()) j["vocab"] = p.vocab;
  if (!p.pieces.empty()) j["pieces"] = p.pieces;
  j["dim"] = p.dim;
  j["hidden_dim"] = p.hidden_dim;
  j["layers"] = p.layers;
  j["heads"] = p.heads;
  j["kv_heads"] = p.kv_heads;
  j["max_seq_len"] = p.max_seq_len;
  j["dtype"] = p.dtype;
  j["seed"] = p.seed;
  j["min_margin"] = p.min_margin;
  j["entries"] = entries;
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace slmconf
