#include "slmconf/program_json.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace slmconf {

using nlohmann::json;

namespace {

slm::Status invalid(std::string message) {
  return slm::make_error(slm::ErrorCode::E_PROGRAM_INVALID, slm::kNoOffset, std::move(message));
}

// An absent key keeps the default in `out`.
template <typename T>
slm::Status read_unsigned(const json& j, const char* key, T& out) {
  if (!j.contains(key)) return slm::Status::success();
  if (!j[key].is_number_unsigned() || j[key].get<std::uint64_t>() > std::numeric_limits<T>::max()) {
    return invalid(std::string(key) + " must be an unsigned integer");
  }
  out = j[key].get<T>();
  return slm::Status::success();
}

slm::Status read_string(const json& j, const char* key, std::string& out) {
  if (!j.contains(key)) return slm::Status::success();
  if (!j[key].is_string()) return invalid(std::string(key) + " must be a string");
  out = j[key].get<std::string>();
  return slm::Status::success();
}

}  // namespace

slm::Result<slmgen::ModelProgram> program_from_json_text(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("a program is a JSON object");
  static const char* known[] = {"tokenizer", "vocab", "dim", "hidden_dim", "layers", "heads", "kv_heads",
                                "max_seq_len", "dtype", "seed", "min_margin", "entries"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) return invalid("unknown key '" + key + "'");
  }
  slmgen::ModelProgram p;
  for (const slm::Status& s :
       {read_string(j, "tokenizer", p.tokenizer), read_unsigned(j, "vocab", p.vocab), read_unsigned(j, "dim", p.dim),
        read_unsigned(j, "hidden_dim", p.hidden_dim), read_unsigned(j, "layers", p.layers), read_unsigned(j, "heads", p.heads),
        read_unsigned(j, "kv_heads", p.kv_heads), read_unsigned(j, "max_seq_len", p.max_seq_len),
        read_string(j, "dtype", p.dtype), read_unsigned(j, "seed", p.seed)}) {
    if (!s.ok()) return s;  // the first field, in this order, that is wrong
  }
  if (j.contains("min_margin")) {
    if (!j["min_margin"].is_number()) return invalid("min_margin must be a number");
    p.min_margin = j["min_margin"].get<float>();
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
