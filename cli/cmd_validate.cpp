// slm validate FILE... [--json] [--digest]
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_views.h"
#include "report.h"
#include "slmconf/identity_json.h"
#include "slm/validate.h"

namespace slmcli {

int run_validate(const ValidateArgs& args) {
  int exit_status = kExitOk;
  for (const auto& path : args.files) {
    auto source = slm::FileSource::open(path);
    slm::Status status = source.status();
    slm::Result<slm::ModelInfo> info = status;
    if (source.ok()) {
      info = slm::validate_model(*source.value(), {.verify_digest = args.verify_digest});
      status = info.status();
    }
    const bool io_error = status.code == slm::ErrorCode::E_IO_READ;
    if (io_error) exit_status = kExitUsage;
    else if (!info.ok() && exit_status == kExitOk) exit_status = kExitRejected;

    if (args.json) {
      nlohmann::ordered_json out = {{"file", path}, {"ok", info.ok()}};
      if (info.ok()) {
        out["code"] = nullptr;
        out["identity"] = slmconf::identity_json(info->header.identity);
      } else {
        const auto e = error_json(status);
        for (const char* key : {"code", "phase", "rule", "offset", "message"}) out[key] = e[key];
        out["identity"] = nullptr;
      }
      std::cout << out.dump() << '\n';
    } else if (info.ok()) {
      std::cout << path << ": ok (" << info->tensors.size() << " tensors, "
                << info->header.identity.parameter_count << " parameters)\n";
    } else {
      std::cout << error_line(path, status) << '\n';
    }
  }
  return exit_status;
}

}  // namespace slmcli
