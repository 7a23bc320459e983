// How every `slm` command reports a failure (spec/tools.md section 4): one line naming the file, the
// code, the rule and the offset where there is one, as `slm validate` prints it, and one mapping
// from codes to exit statuses.
#pragma once
#include <iosfwd>
#include <string>

#include "slm/errors.h"

namespace slmcli {

// "FILE: E_CODE [RULE] at offset N: message" (no "at offset" when the error has none). `file` may
// carry a position, e.g. "fix.asp (adapter 2 of 3)".
std::string error_line(const std::string& file, const slm::Status& status);

// The label of adapter `index` (0-based) of a stack of `count`.
std::string adapter_label(const std::string& path, std::size_t index, std::size_t count);

// 2 for what is not a verdict on an input file (I/O, refused outputs, arguments, tool limits),
// 1 for a rejected input.
int exit_status_for(const slm::Status& status);

// Prints "slm COMMAND: FILE: E_CODE [RULE] ...: message" (FILE left out when empty) on stderr and
// returns exit_status_for(status).
int report_failure(const std::string& command, const std::string& file, const slm::Status& status);

// A refusal that is never a verdict on an input (arguments, outputs, generator limits): exit 2.
int refuse(const std::string& command, const slm::Status& status);

}  // namespace slmcli
