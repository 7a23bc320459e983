// slm adapter validate --parent M A | inspect A | apply --parent M A... -o OUT; slm gen adapter.
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_views.h"
#include "report.h"
#include "slm/adapter.h"
#include "slm/descendant.h"
#include "slm/output_set.h"
#include "slm/model_file.h"
#include "slm/validate.h"
#include "slmconf/identity_json.h"
#include "slmconf/program_json.h"
#include "slmgen/adapter_gen.h"
#include "slmgen/fix_adapter.h"
#include "slmgen/program.h"

namespace slmcli {

namespace {

using ordered = nlohmann::ordered_json;

// A rejection, as `slm validate` prints it (stdout: it is the command's result), or as JSON.
int print_rejection(const std::string& label, const slm::Status& status, bool json) {
  if (json) {
    ordered out = {{"file", label}, {"ok", false}};
    const auto e = error_json(status);
    for (const char* key : {"code", "phase", "rule", "offset", "message"}) out[key] = e[key];
    std::cout << out.dump(-1, ' ', false, ordered::error_handler_t::replace) << '\n';
  } else {
    std::cout << error_line(label, status) << '\n';
  }
  return exit_status_for(status);
}

// The parent's identity by one streaming pass (O(directory) memory): enough to bind adapters to it.
slm::Result<slm::ModelInfo> validate_parent(const std::string& path) {
  auto source = slm::FileSource::open(path);
  if (!source.ok()) return source.status();
  return slm::validate_model(*source.value(), {.verify_digest = true});
}

}  // namespace

int run_adapter_inspect(const AdapterArgs& args) {
  const std::string& path = args.adapters.front();
  auto bytes = slm::read_adapter_file(path);
  if (!bytes.ok()) return print_rejection(path, bytes.status(), args.json);
  auto adapter = slm::decode_adapter(bytes.value());
  if (!adapter.ok()) return print_rejection(path, adapter.status(), args.json);
  const auto& a = adapter.value();
  ordered entries = ordered::array();
  for (const auto& e : a.entries) {
    ordered j = {{"name", e.name}, {"shape", e.shape}};
    if (a.kind == slm::AdapterKind::SPARSE) j["nnz"] = e.indices.size();
    if (a.kind == slm::AdapterKind::LOW_RANK) j["rank"] = e.rank, j["alpha"] = e.alpha;
    entries.push_back(j);
  }
  const ordered out = {{"file", path},
                       {"kind", slm::adapter_kind_name(a.kind)},
                       {"magic", slm::adapter_magic(a.kind)},
                       {"bytes", bytes.value().size()},
                       {"adapter_digest", slm::to_hex(a.digest)},
                       {"parent", slmconf::identity_json(a.parent)},
                       {"entries", entries}};
  if (args.json) {
    std::cout << out.dump(-1, ' ', false, ordered::error_handler_t::replace) << '\n';
    return kExitOk;
  }
  std::cout << path << ": " << out["magic"].get<std::string>() << " (" << out["kind"].get<std::string>() << "), "
            << bytes.value().size() << " bytes, digest " << slm::to_hex(a.digest) << "\n  parent: content digest "
            << slm::to_hex(a.parent.content_digest) << ", " << a.parent.tensor_count << " tensors, "
            << a.parent.parameter_count << " parameters\n";
  for (const auto& e : entries) std::cout << "  " << e.dump(-1, ' ', false, ordered::error_handler_t::replace) << '\n';
  return kExitOk;
}

int run_adapter_validate(const AdapterArgs& args) {
  auto parent = validate_parent(args.parent);
  if (!parent.ok()) return print_rejection(args.parent, parent.status(), args.json);
  int exit_status = kExitOk;
  for (const auto& path : args.adapters) {
    auto bytes = slm::read_adapter_file(path);
    slm::Status status = bytes.status();
    if (bytes.ok()) status = slm::validate_adapter(bytes.value(), parent.value()).status();
    if (!status.ok()) {
      exit_status = std::max(exit_status, print_rejection(path, status, args.json));
      continue;
    }
    if (args.json) std::cout << ordered{{"file", path}, {"ok", true}, {"code", nullptr}}.dump() << '\n';
    else std::cout << path << ": ok (binds to " << args.parent << ")\n";
  }
  return exit_status;
}

int run_adapter_apply(const AdapterArgs& args) {
  const char* command = "adapter apply";
  // Never overwrite an input, never half a result: outputs are declared and checked before any work.
  slm::OutputSet out;
  out.input(args.parent);
  for (const auto& path : args.adapters) out.input(path);
  const auto model_out = out.output(args.output);
  const auto lineage_out = args.lineage.empty() ? 0 : out.output(args.lineage);
  if (auto s = out.prepare(); !s.ok()) return refuse(command, s);

  slm::ModelInfo info;
  auto parent_bytes = slm::read_fully_validated(args.parent, info);
  if (!parent_bytes.ok()) return print_rejection(args.parent, parent_bytes.status(), args.json);
  std::vector<std::vector<std::uint8_t>> adapters;
  for (std::size_t k = 0; k < args.adapters.size(); ++k) {
    auto bytes = slm::read_adapter_file(args.adapters[k]);
    if (!bytes.ok()) return print_rejection(adapter_label(args.adapters[k], k, args.adapters.size()), bytes.status(), args.json);
    adapters.push_back(std::move(bytes.value()));
  }
  const std::vector<std::span<const std::uint8_t>> stack(adapters.begin(), adapters.end());
  // The descendant streams into its staged file: memory is the parent, the adapters and one tensor.
  std::size_t failed = slm::kNoAdapter;
  auto applied = slm::apply_stack(parent_bytes.value(), info, stack, &out.sink(model_out), &failed);
  if (!applied.ok()) {
    // The staged output could not be written: a failure of the environment, not of an input.
    if (applied.status().code == slm::ErrorCode::E_IO_WRITE) return report_failure(command, "", applied.status());
    const std::string label =
        failed < args.adapters.size() ? adapter_label(args.adapters[failed], failed, args.adapters.size()) : args.parent;
    return print_rejection(label, applied.status(), args.json);
  }
  const ordered lineage = slmconf::lineage_json(applied->lineage);
  if (!args.lineage.empty()) {
    if (auto s = out.write(lineage_out, lineage.dump(2) + "\n"); !s.ok()) return report_failure(command, "", s);
  }
  if (auto s = out.commit(); !s.ok()) return report_failure(command, "", s);
  if (args.json) {
    std::cout << ordered{{"file", args.output}, {"ok", true}, {"identity", slmconf::identity_json(applied->identity)},
                         {"lineage", lineage}}.dump() << '\n';
  } else {
    std::cout << args.output << ": descendant of " << args.parent << " with " << adapters.size()
              << " adapter(s), content digest " << slm::to_hex(applied->identity.content_digest) << '\n';
  }
  return kExitOk;
}

int run_gen_adapter(const GenAdapterArgs& args) {
  const char* command = "gen adapter";
  slm::AdapterKind kind{};
  if (args.kind == "dense") kind = slm::AdapterKind::DENSE;
  else if (args.kind == "sparse") kind = slm::AdapterKind::SPARSE;
  else if (args.kind == "lowrank" || args.kind == "low-rank") kind = slm::AdapterKind::LOW_RANK;
  else return refuse(command, slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "--kind is dense, sparse or lowrank"));
  slm::OutputSet out;
  out.input(args.parent);
  out.input(args.fix_program);
  const auto adapter_out = out.output(args.output);
  if (auto s = out.prepare(); !s.ok()) return refuse(command, s);

  slm::Adapter adapter;
  if (args.fix_program.empty()) {
    // A random adapter needs only the parent's identity and shapes: one streaming pass.
    auto info = validate_parent(args.parent);
    if (!info.ok()) return report_failure(command, args.parent, info.status());
    slmgen::AdapterOptions options;
    options.kind = kind;
    options.seed = args.seed;
    options.entries = args.entries;
    adapter = slmgen::generate_adapter(info.value(), options);
  } else {
    // A fix: the delta from the parent to the model the fixed program describes, in the parent's dtype.
    slm::ModelInfo info;
    auto parent_bytes = slm::read_fully_validated(args.parent, info);
    if (!parent_bytes.ok()) return report_failure(command, args.parent, parent_bytes.status());
    auto text = slm::read_file_bytes(args.fix_program);
    if (!text.ok()) return report_failure(command, args.fix_program, text.status());
    const auto program_error = [&](const std::string& message) {
      return report_failure(command, args.fix_program, slm::make_error(slm::ErrorCode::E_PROGRAM_INVALID, slm::kNoOffset, message));
    };
    auto parsed = slmconf::program_from_json_text(std::string(text.value().begin(), text.value().end()));
    if (!parsed.ok()) return report_failure(command, args.fix_program, parsed.status());
    slmgen::ModelProgram& program = parsed.value();
    for (const auto& t : info.tensors) {
      if (t.name == "layers.0.attention.wq.weight") program.dtype = std::string(slm::dtype_name(t.dtype));
    }
    const auto target = slmgen::build_programmed_model(program);
    if (!target.ok()) return report_failure(command, args.fix_program, target.status());
    auto fix = slmgen::make_fix_adapter(parent_bytes.value(), target.value(), kind);
    if (!fix.ok()) {
      // E_PROGRAM_INVALID concerns the program; any other code is the parent's own (it was fully
      // validated above, so that is not expected).
      const bool program_fault = fix.status().code == slm::ErrorCode::E_PROGRAM_INVALID;
      return report_failure(command, program_fault ? args.fix_program : args.parent, fix.status());
    }
    adapter = std::move(fix.value());
    // The evidence: the descendant continues as the fixed program says.
    const auto bytes = slm::write_adapter(adapter);
    const std::vector<std::span<const std::uint8_t>> stack = {bytes};
    slm::VectorSink descendant;
    auto applied = slm::apply_stack(parent_bytes.value(), info, stack, &descendant);
    if (!applied.ok()) return program_error("the fix does not apply: " + error_line("", applied.status()));
    if (auto checked = slmgen::check_programmed_model(program, descendant.bytes()); !checked.ok()) {
      return program_error("the fixed descendant does not follow the program: " + checked.status().message);
    }
  }
  // Streamed: a dense adapter as large as its parent is never held twice.
  auto& sink = out.sink(adapter_out);
  if (auto s = slm::write_adapter(adapter, sink); !s.ok()) return report_failure(command, "", s);
  const auto size = sink.size();
  if (auto s = out.commit(); !s.ok()) return report_failure(command, "", s);
  std::cout << args.output << ": " << slm::adapter_magic(kind) << ", " << size << " bytes, "
            << adapter.entries.size() << " tensor(s), bound to " << args.parent << '\n';
  return kExitOk;
}

}  // namespace slmcli
