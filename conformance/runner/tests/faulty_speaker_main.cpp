// Test-only: the reference protocol speaker linked against slm_reference_faulty, where the checks
// named in SLM_DISABLE_CHECKS are switched off. Never shipped.
#include <iostream>

#include "slmconf/reference_runtime.h"

int main() { return slmconf::run_protocol_speaker(std::cin, std::cout); }
