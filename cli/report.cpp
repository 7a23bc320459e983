#include "report.h"

#include <iostream>

namespace slmcli {

std::string error_line(const std::string& file, const slm::Status& status) {
  const auto& row = slm::error_info(status.code);
  std::string line = file.empty() ? "" : file + ": ";
  line += std::string(row.name) + " [" + std::string(row.rule) + "]";
  if (status.has_offset()) line += " at offset " + std::to_string(status.offset);
  line += ": " + (status.message.empty() ? std::string(row.message) : status.message);
  // One line, whatever a file or a message holds: control bytes are shown, never sent to the terminal.
  std::string safe;
  for (const char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      static const char* hex = "0123456789abcdef";
      safe += "\\x";
      safe += hex[c >> 4];
      safe += hex[c & 15];
    } else {
      safe += static_cast<char>(c);
    }
  }
  return safe;
}

std::string adapter_label(const std::string& path, std::size_t index, std::size_t count) {
  return path + " (adapter " + std::to_string(index + 1) + " of " + std::to_string(count) + ")";
}

int exit_status_for(const slm::Status& status) {
  switch (status.code) {
    case slm::ErrorCode::E_IO_READ:
    case slm::ErrorCode::E_IO_WRITE:
    case slm::ErrorCode::E_OUT_IS_INPUT:
    case slm::ErrorCode::E_OUT_CLASH:
    case slm::ErrorCode::E_OUT_NO_DIRECTORY:
    case slm::ErrorCode::E_OUT_NOT_REGULAR:
    case slm::ErrorCode::E_OUT_EXISTS:
    case slm::ErrorCode::E_ARG_VALUE:
    case slm::ErrorCode::E_REPORT_SHARDS:  // spec/protocol.md section 8: not a verdict on a runtime
    case slm::ErrorCode::E_LIMIT_TOOL_MEMORY:
    case slm::ErrorCode::E_PKT_KEY:          // spec/packet.md 2: the command cannot run
    case slm::ErrorCode::E_PROGRAM_INVALID: return 2;  // spec/tools.md SLM-TOOL-008
    default: return 1;
  }
}

int report_failure(const std::string& command, const std::string& file, const slm::Status& status) {
  std::cerr << "slm" << (command.empty() ? "" : " " + command) << ": " << error_line(file, status) << '\n';
  return exit_status_for(status);
}

int refuse(const std::string& command, const slm::Status& status) {
  std::cerr << "slm" << (command.empty() ? "" : " " + command) << ": " << error_line("", status) << '\n';
  return 2;
}

}  // namespace slmcli
