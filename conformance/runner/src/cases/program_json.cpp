#include "slmconf/program_json.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace slmconf {

using nlohmann::json;

namespace {

template <typename T>
bool read_unsigned(const json& j, const char* key, T& out, std::string& error) {
  if (!j.contains(key)) return true;
  if (!j[key].is_number_unsigned() || j[key].get<std::uint64_t>() > std::numeric_limits<T>::max()) {
    return error = std::string(key) + " must be an unsigned integer", false;
  }
  out = j[key].get<T>();
  return true;
}

bool read_string(const json& j, const char* key, std::string& out, std::string& error) {
  if (!j.contains(key)) return true;
  if (!j[key].is_string()) return error = std::string(key) + " must be a string", false;
  out = j[key].get<std::string>();
  return true;
}

}  // namespace

bool program_from_json_text(const std::string& text, slmgen::ModelProgram& p, std::string& error) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return error = "a program is a JSON object", false;
  static const char* known[] = {"tokenizer", "vocab", "dim", "hidden_dim", "layers", "heads", "kv_heads",
                                "max_seq_len", "dtype", "seed", "min_margin", "entries"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) return error = "unknown key '" + key + "'", false;
  }
  if (!read_string(j, "tokenizer", p.tokenizer, error) || !read_unsigned(j, "vocab", p.vocab, error) ||
      !read_unsigned(j, "dim", p.dim, error) || !read_unsigned(j, "hidden_dim", p.hidden_dim, error) ||
      !read_unsigned(j, "layers", p.layers, error) || !read_unsigned(j, "heads", p.heads, error) ||
      !read_unsigned(j, "kv_heads", p.kv_heads, error) || !read_unsigned(j, "max_seq_len", p.max_seq_len, error) ||
      !read_string(j, "dtype", p.dtype, error) || !read_unsigned(j, "seed", p.seed, error)) {
    return false;
  }
  if (j.contains("min_margin")) {
    if (!j["min_margin"].is_number()) return error = "min_margin must be a number", false;
    p.min_margin = j["min_margin"].get<float>();
  }
  if (!j.contains("entries") || !j["entries"].is_array()) return error = "entries must be an array", false;
  p.entries.clear();
  for (const auto& e : j["entries"]) {
    if (!e.is_object() || !e.contains("prompt") || !e.contains("continuation") || !e["prompt"].is_string() ||
        !e["continuation"].is_string()) {
      return error = "each entry is {\"prompt\": string, \"continuation\": string}", false;
    }
    p.entries.push_back({e["prompt"].get<std::string>(), e["continuation"].get<std::string>()});
  }
  return true;
}

std::string program_to_json_text(const slmgen::ModelProgram& p) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& e : p.entries) entries.push_back({{"prompt", e.prompt}, {"continuation", e.continuation}});
  nlohmann::ordered_json j = {{"tokenizer", p.tokenizer}};
  if (p.tokenizer == "bpe") j["vocab"] = p.vocab;
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
