#include "slmconf/reference_runtime.h"

#include <iostream>
#include <string>

#include "slm/sha256.h"
#include "slm/validate.h"

namespace slmconf {

Hello reference_hello() {
  return {kProtocolName, "slm-reference", "0.1.0", "1", {"validate"}};
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
      return {Answer::Kind::ERRORED, false, "", std::nullopt, std::nullopt, {}, s.message};
    }
    a.tensors.push_back({t.name, std::string(slm::dtype_name(t.dtype)), slm::to_hex(slm::sha256(bytes)), t.shape()});
  }
  return a;
}

}  // namespace

Answer reference_answer(const Request& request) {
  if (request.op == "validate") return validate_file(request);
  Answer a;
  a.kind = Answer::Kind::ERRORED;
  a.message = "unknown op '" + request.op + "'";
  return a;
}

int run_protocol_speaker(std::istream& in, std::ostream& out) {
  out << hello_line(reference_hello()) << std::endl;
  for (std::string line; std::getline(in, line);) {
    std::string error;
    const auto request = parse_request(line, error);
    if (!request) {
      // Without a seq there is nobody to answer; say why on stderr and keep serving.
      std::cerr << "slm protocol: ignored malformed request: " << error << '\n';
      continue;
    }
    if (request->op == "bye") return 0;
    out << answer_line(request->seq, reference_answer(*request)) << std::endl;
  }
  return 0;
}

}  // namespace slmconf
