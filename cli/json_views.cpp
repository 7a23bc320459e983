#include "json_views.h"

#include <nlohmann/json.hpp>

#include "slmconf/identity_json.h"

namespace slmcli {

using nlohmann::json;

json error_json(const slm::Status& status) {
  const auto& row = slm::error_info(status.code);
  return {{"code", row.name},
          {"phase", slm::phase_name(row.phase)},
          {"rule", row.rule},
          {"offset", status.has_offset() ? json(status.offset) : json(nullptr)},
          {"message", status.message}};
}

json model_info_json(const slm::ModelInfo& info) {
  const auto& h = info.header;
  const auto& hp = h.hparams;
  json tensors = json::array();
  for (const auto& t : info.tensors) {
    tensors.push_back({{"name", t.name},
                       {"dtype", slm::dtype_name(t.dtype)},
                       {"shape", t.shape()},
                       {"offset", h.data.offset + t.offset},
                       {"bytes", t.byte_size},
                       {"elements", t.elements()}});
  }
  const auto& tok = info.tokenizer;
  json section = [](const slm::Section& s) { return json{{"offset", s.offset}, {"length", s.length}}; }(h.tokenizer);
  return {{"format_version", h.version},
          {"file_length", h.file_length},
          {"checksum", slm::to_hex_u64(h.checksum)},
          {"flags", {{"value", h.flags}, {"untied_output", (h.flags & slm::kFlagUntiedOutput) != 0}}},
          {"hyperparameters",
           {{"vocab_size", hp.vocab_size},
            {"dim", hp.dim},
            {"hidden_dim", hp.hidden_dim},
            {"n_layers", hp.n_layers},
            {"n_heads", hp.n_heads},
            {"n_kv_heads", hp.n_kv_heads},
            {"max_seq_len", hp.max_seq_len},
            {"norm_eps", hp.norm_eps},
            {"rope_theta", hp.rope_theta}}},
          {"identity", slmconf::identity_json(h.identity)},
          {"sections",
           {{"tokenizer", section},
            {"directory", {{"offset", h.directory.offset}, {"length", h.directory.length}}},
            {"data", {{"offset", h.data.offset}, {"length", h.data.length}}}}},
          {"tokenizer",
           {{"kind", tok.kind == slm::TokenizerKind::BYTE ? "byte" : "bpe"},
            {"n_pieces", tok.n_pieces},
            {"bos_id", tok.bos_id},
            {"eos_id", tok.eos_id},
            {"add_dummy_prefix", (tok.flags & slm::kTokFlagDummyPrefix) != 0}}},
          {"tensors", tensors}};
}

}  // namespace slmcli
