// slm convert: llama2.c checkpoint + tokenizer.bin <-> .slm
#include <iostream>

#include "commands.h"
#include "slm/atomic_file.h"
#include "slm/llama2c_checkpoint.h"
#include "slm/model_file.h"

namespace slmcli {

namespace {

int fail(const slm::Status& status) {
  const auto& row = slm::error_info(status.code);
  std::cerr << "slm convert: " << row.name << " [" << row.rule << "]";
  if (status.has_offset()) std::cerr << " at offset " << status.offset;
  std::cerr << ": " << status.message << '\n';
  return status.code == slm::ErrorCode::E_IO_READ || status.code == slm::ErrorCode::E_IO_WRITE ? kExitUsage
                                                                                                 : kExitRejected;
}

}  // namespace

int run_convert(const ConvertArgs& args) {
  if (args.from_llama2c.empty() == args.to_llama2c.empty()) {
    std::cerr << "slm convert: give exactly one of --from-llama2c and --to-llama2c\n";
    return kExitUsage;
  }
  if (!args.from_llama2c.empty()) {
    slm::DType dtype = slm::DType::F32;
    if (!args.dtype.empty() && !slm::parse_dtype(args.dtype, dtype)) {
      std::cerr << "slm convert: --dtype must be f32, q8_0 or q4_0\n";
      return kExitUsage;
    }
    auto checkpoint = slm::read_file_bytes(args.from_llama2c);
    if (!checkpoint.ok()) return fail(checkpoint.status());
    auto tokenizer = slm::read_file_bytes(args.tokenizer);
    if (!tokenizer.ok()) return fail(tokenizer.status());
    auto model = slm::import_llama2c(checkpoint.value(), tokenizer.value(), dtype);
    if (!model.ok()) return fail(model.status());
    const auto bytes = slm::write_model(model.value());
    if (auto s = slm::write_file_atomically(args.output, bytes); !s.ok()) return fail(s);
    std::cout << args.output << ": " << bytes.size() << " bytes\n";
    return kExitOk;
  }
  auto file = slm::read_file_bytes(args.to_llama2c);
  if (!file.ok()) return fail(file.status());
  auto model = slm::read_model(file.value());
  if (!model.ok()) return fail(model.status());
  auto files = slm::export_llama2c(model.value());
  if (!files.ok()) return fail(files.status());
  if (args.tokenizer.empty()) {
    std::cerr << "slm convert: --to-llama2c needs --tokenizer OUT for the tokenizer.bin\n";
    return kExitUsage;
  }
  if (auto s = slm::write_file_atomically(args.output, files->checkpoint); !s.ok()) return fail(s);
  if (auto s = slm::write_file_atomically(args.tokenizer, files->tokenizer); !s.ok()) return fail(s);
  std::cout << args.output << ", " << args.tokenizer << ": written\n";
  return kExitOk;
}

}  // namespace slmcli
