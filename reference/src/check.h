// Every check of spec/format.md is written `if (fails(CODE, condition)) return make_error(CODE, ...)`.
// In the normal build `fails` is the condition itself. The test-only build (SLM_FAULT_INJECTION,
// target slm_reference_faulty) can switch single checks off through the environment variable
// SLM_DISABLE_CHECKS=E_X,E_Y, so the conformance suite can prove it catches a runtime that skips a
// check. Only checks whose absence stays memory-safe may be switched off in tests.
#pragma once
#include "slm/errors.h"

namespace slm {

#ifdef SLM_FAULT_INJECTION
bool check_disabled(ErrorCode code);
inline bool fails(ErrorCode code, bool failed) { return failed && !check_disabled(code); }
// Runtime faults a third-party runtime plausibly has, switched on by SLM_FAULTS=a,b (test build
// only): "rope-halves" rotates (i, i + head_dim/2) like GPT-NeoX instead of (2j, 2j + 1);
// "gqa-modulo" maps query head h to KV head h % n_kv_heads instead of h / kv_mul.
bool fault_active(const char* name);
#else
inline bool fails(ErrorCode, bool failed) { return failed; }
inline bool fault_active(const char*) { return false; }
#endif

}  // namespace slm
