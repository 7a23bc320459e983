// Writes a file so that a failure or a kill never leaves a partial output: the bytes go to a
// temporary file beside the target, are flushed, then renamed over it.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "slm/errors.h"

namespace slm {

Status write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes);
Status write_text_atomically(const std::string& path, const std::string& text);

}  // namespace slm
