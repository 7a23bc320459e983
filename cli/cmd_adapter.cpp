// slm adapter validate --parent M A | inspect A | apply --parent M A... -o OUT; slm gen adapter.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_views.h"
#include "slm/adapter.h"
#include "slm/atomic_file.h"
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

// Reports a failure the way `slm validate` does; exit 2 for unreadable input, 1 for a rejection.
int report_error(const std::string& what, const slm::Status& status, bool json) {
  if (json) {
    ordered out = {{"file", what}, {"ok", false}};
    const auto e = error_json(status);
    for (const char* key : {"code", "phase", "rule", "offset", "message"}) out[key] = e[key];
    std::cout << out.dump(-1, ' ', false, ordered::error_handler_t::replace) << '\n';
  } else {
    const auto& row = slm::error_info(status.code);
    std::cout << what << ": " << row.name << " [" << row.rule << "]";
    if (status.has_offset()) std::cout << " at offset " << status.offset;
    std::cout << ": " << status.message << '\n';
  }
  return status.code == slm::ErrorCode::E_IO_READ ? kExitUsage : kExitRejected;
}

ordered lineage_json(const slm::Lineage& l) {
  ordered steps = ordered::array();
  for (const auto& s : l.steps) {
    steps.push_back({{"kind", slm::adapter_kind_name(s.kind)}, {"adapter_digest", slm::to_hex(s.adapter_digest)},
                     {"descendant_digest", slm::to_hex(s.descendant_digest)}});
  }
  return {{"parent_digest", slm::to_hex(l.parent_digest)}, {"steps", steps}};
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

}  // namespace

int run_adapter_inspect(const AdapterArgs& args) {
  const std::string& path = args.adapters.front();
  auto bytes = slm::read_file_bytes(path);
  if (!bytes.ok()) return report_error(path, bytes.status(), args.json);
  auto adapter = slm::decode_adapter(bytes.value());
  if (!adapter.ok()) return report_error(path, adapter.status(), args.json);
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
  slm::ModelInfo parent;
  auto parent_bytes = slm::read_fully_validated(args.parent, parent);
  if (!parent_bytes.ok()) return report_error(args.parent, parent_bytes.status(), args.json);
  int exit_status = kExitOk;
  for (const auto& path : args.adapters) {
    auto bytes = slm::read_file_bytes(path);
    slm::Status status = bytes.status();
    if (bytes.ok()) status = slm::validate_adapter(bytes.value(), parent).status();
    if (!status.ok()) {
      exit_status = std::max(exit_status, report_error(path, status, args.json));
      continue;
    }
    if (args.json) std::cout << ordered{{"file", path}, {"ok", true}, {"code", nullptr}}.dump() << '\n';
    else std::cout << path << ": ok (binds to " << args.parent << ")\n";
  }
  return exit_status;
}

int run_adapter_apply(const AdapterArgs& args) {
  // Never overwrite an input: the parent and every adapter stay as they were whatever happens.
  for (const auto& input : [&] { auto v = args.adapters; v.push_back(args.parent); return v; }()) {
    if (same_file(input, args.output)) {
      std::cerr << "slm adapter apply: the output " << args.output << " is an input\n";
      return kExitUsage;
    }
  }
  slm::ModelInfo info;
  auto parent_bytes = slm::read_fully_validated(args.parent, info);
  if (!parent_bytes.ok()) return report_error(args.parent, parent_bytes.status(), args.json);
  auto model = slm::read_model(parent_bytes.value());
  if (!model.ok()) return report_error(args.parent, model.status(), args.json);
  std::vector<std::vector<std::uint8_t>> adapters;
  for (const auto& path : args.adapters) {
    auto bytes = slm::read_file_bytes(path);
    if (!bytes.ok()) return report_error(path, bytes.status(), args.json);
    adapters.push_back(std::move(bytes.value()));
  }
  std::size_t failed = slm::kNoAdapter;
  auto applied = slm::apply_adapters(model.value(), adapters, &failed);
  if (!applied.ok()) return report_error(failed < args.adapters.size() ? args.adapters[failed] : args.parent, applied.status(), args.json);
  // Temporary file and rename: a failure or a kill leaves no partial output.
  if (auto s = slm::write_file_atomically(args.output, applied->descendant); !s.ok()) {
    std::cerr << "slm adapter apply: " << s.message << '\n';
    return kExitUsage;
  }
  const ordered lineage = lineage_json(applied->lineage);
  if (!args.lineage.empty()) {
    if (auto s = slm::write_text_atomically(args.lineage, lineage.dump(2) + "\n"); !s.ok()) {
      std::cerr << "slm adapter apply: " << s.message << '\n';
      return kExitUsage;
    }
  }
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
  slm::AdapterKind kind{};
  if (args.kind == "dense") kind = slm::AdapterKind::DENSE;
  else if (args.kind == "sparse") kind = slm::AdapterKind::SPARSE;
  else if (args.kind == "lowrank" || args.kind == "low-rank") kind = slm::AdapterKind::LOW_RANK;
  else {
    std::cerr << "slm gen adapter: --kind is dense, sparse or lowrank\n";
    return kExitUsage;
  }
  slm::ModelInfo info;
  auto parent_bytes = slm::read_fully_validated(args.parent, info);
  if (!parent_bytes.ok()) return report_error(args.parent, parent_bytes.status(), false);
  slm::Adapter adapter;
  std::string error;
  if (args.fix_program.empty()) {
    slmgen::AdapterOptions options;
    options.kind = kind;
    options.seed = args.seed;
    options.entries = args.entries;
    adapter = slmgen::generate_adapter(info, options);
  } else {
    // A fix: the delta from the parent to the model the fixed program describes, in the parent's dtype.
    auto text = slm::read_file_bytes(args.fix_program);
    if (!text.ok()) return report_error(args.fix_program, text.status(), false);
    slmgen::ModelProgram program;
    slm::ModelDescription target;
    if (!slmconf::program_from_json_text(std::string(text.value().begin(), text.value().end()), program, error)) {
      std::cerr << "slm gen adapter: " << args.fix_program << ": " << error << '\n';
      return kExitUsage;
    }
    for (const auto& t : info.tensors) {
      if (t.name == "layers.0.attention.wq.weight") program.dtype = std::string(slm::dtype_name(t.dtype));
    }
    if (!slmgen::build_programmed_model(program, target, error) ||
        !slmgen::make_fix_adapter(parent_bytes.value(), target, kind, adapter, error)) {
      std::cerr << "slm gen adapter: " << error << '\n';
      return kExitUsage;
    }
    // The evidence: the descendant continues as the fixed program says.
    auto model = slm::read_model(parent_bytes.value());
    std::vector<std::vector<std::uint8_t>> stack = {slm::write_adapter(adapter)};
    auto applied = slm::apply_adapters(model.value(), stack);
    std::vector<slmgen::ProgramOutcome> outcomes;
    if (!applied.ok() || !slmgen::check_programmed_model(program, applied->descendant, outcomes, error)) {
      std::cerr << "slm gen adapter: the fixed descendant does not follow " << args.fix_program << ": "
                << (applied.ok() ? error : applied.status().message) << '\n';
      return kExitUsage;
    }
  }
  const auto bytes = slm::write_adapter(adapter);
  if (auto s = slm::write_file_atomically(args.output, bytes); !s.ok()) {
    std::cerr << "slm gen adapter: " << s.message << '\n';
    return kExitUsage;
  }
  std::cout << args.output << ": " << slm::adapter_magic(kind) << ", " << bytes.size() << " bytes, "
            << adapter.entries.size() << " tensor(s), bound to " << args.parent << '\n';
  return kExitOk;
}

}  // namespace slmcli
