// Raw wasm32 exports of the reference library (no JS glue). The ABI is still minimal: allocate,
// validate a buffer, read back the result. spec/wasm-abi.md will grow with the runtime issue.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "slm/validate.h"

namespace {
slm::Status g_last;  // the result of the last call, read back through the accessors below
}

#define SLM_EXPORT extern "C" __attribute__((used, visibility("default")))

SLM_EXPORT void* slm_alloc(std::uint32_t size) { return std::malloc(size == 0 ? 1 : size); }
SLM_EXPORT void slm_free(void* p) { std::free(p); }

// Returns the numeric error code (0 = accepted); flags bit 0 = also verify the content digest.
SLM_EXPORT std::uint32_t slm_validate(const std::uint8_t* data, std::uint32_t size, std::uint32_t flags) {
  auto result = slm::validate_model(std::span<const std::uint8_t>(data, size), {.verify_digest = (flags & 1u) != 0});
  g_last = result.status();
  return static_cast<std::uint32_t>(g_last.code);
}

// Name of the last code ("OK", "E_HDR_MAGIC", ...) as a NUL-terminated string in wasm memory.
SLM_EXPORT const char* slm_last_code_name() { return slm::error_info(g_last.code).name.data(); }
SLM_EXPORT const char* slm_last_rule() { return slm::error_info(g_last.code).rule.data(); }
// The byte offset of the last error, or -1 when it has none.
SLM_EXPORT double slm_last_offset() { return g_last.has_offset() ? static_cast<double>(g_last.offset) : -1.0; }
