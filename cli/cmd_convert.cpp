// slm convert: llama2.c checkpoint + tokenizer.bin <-> .slm
#include <iostream>

#include "commands.h"
#include "report.h"
#include "slm/llama2c_checkpoint.h"
#include "slm/model_file.h"
#include "slm/output_set.h"

namespace slmcli {

namespace {

slm::Status usage(const std::string& message) { return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, message); }

int import_llama2c(const ConvertArgs& args) {
  const char* command = "convert";
  slm::DType dtype = slm::DType::F32;
  if (!args.dtype.empty() && !slm::parse_dtype(args.dtype, dtype)) return refuse(command, usage("--dtype must be f32, q8_0 or q4_0"));
  slm::OutputSet out;
  out.input(args.from_llama2c);
  out.input(args.tokenizer);
  const auto model_out = out.output(args.output);
  if (auto s = out.prepare(); !s.ok()) return refuse(command, s);
  auto checkpoint = slm::read_file_bytes(args.from_llama2c);
  if (!checkpoint.ok()) return report_failure(command, args.from_llama2c, checkpoint.status());
  auto tokenizer = slm::read_file_bytes(args.tokenizer);
  if (!tokenizer.ok()) return report_failure(command, args.tokenizer, tokenizer.status());
  auto model = slm::import_llama2c(checkpoint.value(), tokenizer.value(), dtype);
  // E_CONVERT_INPUT's offset is in the checkpoint or the tokenizer; the message says which.
  if (!model.ok()) return report_failure(command, args.from_llama2c + " + " + args.tokenizer, model.status());
  const auto bytes = slm::write_model(model.value());
  if (auto s = out.write(model_out, bytes); !s.ok()) return report_failure(command, "", s);
  if (auto s = out.commit(); !s.ok()) return report_failure(command, "", s);
  std::cout << args.output << ": " << bytes.size() << " bytes\n";
  return kExitOk;
}

int export_llama2c(const ConvertArgs& args) {
  const char* command = "convert";
  if (!args.dtype.empty()) return refuse(command, usage("--dtype applies to --from-llama2c only"));
  // Two outputs, both or neither: the checkpoint and its tokenizer.bin.
  slm::OutputSet out;
  out.input(args.to_llama2c);
  const auto checkpoint_out = out.output(args.output);
  const auto tokenizer_out = out.output(args.tokenizer);
  if (auto s = out.prepare(); !s.ok()) return refuse(command, s);
  slm::ModelInfo info;
  auto file = slm::read_fully_validated(args.to_llama2c, info);  // streaming first: never reads an invalid file whole
  if (!file.ok()) return report_failure(command, args.to_llama2c, file.status());
  auto model = slm::read_model(file.value());
  if (!model.ok()) return report_failure(command, args.to_llama2c, model.status());
  auto files = slm::export_llama2c(model.value());
  if (!files.ok()) return report_failure(command, args.to_llama2c, files.status());
  if (auto s = out.write(checkpoint_out, files->checkpoint); !s.ok()) return report_failure(command, "", s);
  if (auto s = out.write(tokenizer_out, files->tokenizer); !s.ok()) return report_failure(command, "", s);
  if (auto s = out.commit(); !s.ok()) return report_failure(command, "", s);
  std::cout << args.output << ", " << args.tokenizer << ": written\n";
  return kExitOk;
}

}  // namespace

int run_convert(const ConvertArgs& args) {
  if (args.from_llama2c.empty() == args.to_llama2c.empty()) {
    return refuse("convert", usage("give exactly one of --from-llama2c and --to-llama2c"));
  }
  return args.from_llama2c.empty() ? export_llama2c(args) : import_llama2c(args);
}

}  // namespace slmcli
