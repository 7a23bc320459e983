#include "slmconf/reference_runtime.h"

#include <iostream>
#include <string>

#include "slm/adapter.h"
#include "slm/generate.h"
#include "slm/model_file.h"
#include "slm/sha256.h"
#include "slm/tokenizer.h"
#include "slm/validate.h"

namespace slmconf {

Hello reference_hello() {
  return {kProtocolName, "slm-reference", "0.1.0", "1",
          {"validate", "tokenize", "generate", "validate_adapter", "apply_adapter"}};
}

namespace {

Identity identity_of(const slm::Identity& id) {
  return {id.parameter_count, id.tensor_count, id.flags, slm::to_hex_u64(id.layout_checksum),
          slm::to_hex_u64(id.tokenizer_checksum), slm::to_hex(id.content_digest)};
}

Answer validate_file(const Request& request) {
  Answer a;
  auto source = slm::FileSource::open(request.path);
  slm::Result<slm::ModelInfo> info = source.status();
  if (source.ok()) info = slm::validate_model(*source.value(), {.verify_digest = request.verify_digest});
  if (!info.ok()) {
    a.code = std::string(slm::error_info(info.status().code).name);
    if (info.status().has_offset()) a.offset = info.status().offset;
    a.message = info.status().message;
    return a;
  }
  a.accepted = true;
  a.identity = identity_of(info->header.identity);
  // A digest per tensor lets the runner check what the runtime loaded, not just what it read.
  std::vector<std::uint8_t> bytes;
  for (const auto& t : info->tensors) {
    bytes.resize(static_cast<std::size_t>(t.byte_size));
    if (auto s = source.value()->read(info->header.data.offset + t.offset, bytes); !s.ok()) {
      Answer errored;
      errored.kind = Answer::Kind::ERRORED;
      errored.message = s.message;
      return errored;
    }
    a.tensors.push_back({t.name, std::string(slm::dtype_name(t.dtype)), slm::to_hex(slm::sha256(bytes)), t.shape()});
  }
  return a;
}

Answer rejection(const slm::Status& status) {
  Answer a;
  a.code = std::string(slm::error_info(status.code).name);
  if (status.has_offset()) a.offset = status.offset;
  a.message = status.message;
  return a;
}

// Texts are bytes; a JSON line carries them only when they are UTF-8 (the protocol writer replaces
// invalid bytes), so the exact answer is always the token ids.
Answer tokenize_text(const Request& request) {
  auto model = slm::load_model_file(request.path);
  if (!model.ok()) return rejection(model.status());
  const slm::TokenizerRuntime tokenizer(model.value()->info().tokenizer);
  Answer a;
  a.accepted = true;
  a.tokens = tokenizer.encode(request.text, request.add_bos, false);
  a.text = tokenizer.decode(a.tokens);
  return a;
}

// Runs the request's generation on a loaded model and puts the outputs into `a`; false (with `a`
// the rejection) when generation refuses.
bool generate_into(const std::shared_ptr<const slm::LoadedModel>& model, const GenerateParams& params, Answer& a) {
  slm::GenerateRequest g;
  g.prompt = params.prompt;
  g.max_tokens = params.max_tokens;
  g.sampling = {params.temperature, params.top_k, params.top_p, params.seed};
  g.record_logits = params.logit_steps;
  auto run = slm::generate(model, g);
  if (!run.ok()) {
    a = rejection(run.status());
    return false;
  }
  a.accepted = true;
  a.prompt_tokens = run->prompt_tokens;
  a.tokens = run->tokens;
  a.text = run->text;
  a.stop_reason = run->stop_reason;
  a.logits = run->logits;
  return true;
}

Answer generate_text(const Request& request) {
  auto model = slm::load_model_file(request.path);
  if (!model.ok()) return rejection(model.status());
  Answer a;
  generate_into(model.value(), request.generate, a);
  return a;
}

Answer validate_adapter_file(const Request& request) {
  slm::ModelInfo parent;
  auto parent_bytes = slm::read_fully_validated(request.parent, parent);
  if (!parent_bytes.ok()) return rejection(parent_bytes.status());
  auto adapter = slm::read_adapter_file(request.path);
  if (!adapter.ok()) return rejection(adapter.status());
  auto result = slm::validate_adapter(adapter.value(), parent);
  if (!result.ok()) return rejection(result.status());
  Answer a;
  a.accepted = true;
  return a;
}

Answer apply_adapter_files(const Request& request) {
  slm::ModelInfo parent;
  auto parent_bytes = slm::read_fully_validated(request.parent, parent);
  if (!parent_bytes.ok()) return rejection(parent_bytes.status());
  auto model = slm::read_model(parent_bytes.value());
  if (!model.ok()) return rejection(model.status());
  std::vector<std::vector<std::uint8_t>> adapters;
  std::vector<std::string> paths = {request.path};
  paths.insert(paths.end(), request.stack.begin(), request.stack.end());
  for (const auto& path : paths) {
    auto bytes = slm::read_adapter_file(path);
    if (!bytes.ok()) return rejection(bytes.status());
    adapters.push_back(std::move(bytes.value()));
  }
  std::size_t failed = slm::kNoAdapter;
  auto applied = slm::apply_adapters(model.value(), adapters, &failed);
  if (!applied.ok()) {
    Answer a = rejection(applied.status());
    if (failed != slm::kNoAdapter) a.message = "adapter " + std::to_string(failed) + ": " + a.message;
    return a;
  }
  Answer a;
  const auto& descendant = applied->descendant;
  auto info = slm::validate_model(descendant, {.verify_digest = true});
  if (!info.ok()) return rejection(info.status());
  a.accepted = true;
  a.identity = identity_of(info->header.identity);
  for (const auto& t : info->tensors) {
    const auto begin = descendant.begin() + static_cast<std::ptrdiff_t>(info->header.data.offset + t.offset);
    const std::span<const std::uint8_t> data(&*begin, static_cast<std::size_t>(t.byte_size));
    a.tensors.push_back({t.name, std::string(slm::dtype_name(t.dtype)), slm::to_hex(slm::sha256(data)), t.shape()});
  }
  Lineage lineage;
  lineage.parent_digest = slm::to_hex(applied->lineage.parent_digest);
  for (const auto& step : applied->lineage.steps) {
    lineage.steps.push_back({std::string(slm::adapter_kind_name(step.kind)), slm::to_hex(step.adapter_digest),
                             slm::to_hex(step.descendant_digest)});
  }
  a.lineage = lineage;
  if (request.generate_after_apply) {
    auto loaded = slm::load_model(descendant);
    if (!loaded.ok()) return rejection(loaded.status());
    if (!generate_into(loaded.value(), request.generate, a)) return a;
  }
  return a;
}

}  // namespace

Answer reference_answer(const Request& request) {
  if (request.op == "validate_adapter") return validate_adapter_file(request);
  if (request.op == "apply_adapter") return apply_adapter_files(request);
  if (request.op == "validate") return validate_file(request);
  if (request.op == "tokenize") return tokenize_text(request);
  if (request.op == "generate") return generate_text(request);
  Answer a;
  a.kind = Answer::Kind::ERRORED;
  a.message = "unknown op '" + request.op + "'";
  return a;
}

int run_protocol_speaker(std::istream& in, std::ostream& out) {
  out << hello_line(reference_hello()) << std::endl;
  for (std::string line; std::getline(in, line);) {
    std::string error;
    std::optional<std::uint64_t> seq;
    const auto request = parse_request(line, error, &seq);
    if (request && request->op == "bye") return 0;
    // Every line gets an answer, so no client waits forever: a refused line is errored with its
    // seq when it has one, else with "seq": null (spec/protocol.md section 3).
    Answer answer;
    if (!request) {
      answer.kind = Answer::Kind::ERRORED;
      answer.message = "malformed request: " + error;
    } else {
      answer = reference_answer(*request);
    }
    std::string text = seq || request ? answer_line(request ? request->seq : *seq, answer) : answer_line_without_seq(answer);
    if (text.size() > kMaxLineBytes) {  // e.g. the logits of many steps of a large vocabulary
      Answer too_long;
      too_long.kind = Answer::Kind::ERRORED;
      too_long.message = "the answer would be " + std::to_string(text.size()) + " bytes, over the 1 MiB line limit";
      text = answer_line(request->seq, too_long);
    }
    out << text << std::endl;
  }
  return 0;
}

}  // namespace slmconf
