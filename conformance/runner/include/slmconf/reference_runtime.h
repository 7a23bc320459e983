// The reference implementation answering conformance requests (used in-process by the `ref`
// connector and over a pipe by `slm protocol`).
#pragma once
#include <cstdint>
#include <iosfwd>

#include "slmconf/protocol.h"

namespace slmconf {

Hello reference_hello();
Answer reference_answer(const Request& request);
// Speaks the protocol on in/out until "bye" or EOF; returns the process exit status. threads: the
// forward pass's threads for every generation and eval the speaker runs (0 = every core).
int run_protocol_speaker(std::istream& in, std::ostream& out, std::uint32_t threads = 0);

// The forward pass's threads of the reference's operations (slm::GenerateRequest::threads; 0, the
// default, = every core), process-wide: `slm protocol --threads` sets it. Answers never depend on it.
void set_reference_threads(std::uint32_t threads);
std::uint32_t reference_threads();

}  // namespace slmconf
