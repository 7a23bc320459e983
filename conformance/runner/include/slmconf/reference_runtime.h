// The reference implementation answering conformance requests (used in-process by the `ref`
// connector and over a pipe by `slm protocol`).
#pragma once
#include <iosfwd>

#include "slmconf/protocol.h"

namespace slmconf {

Hello reference_hello();
Answer reference_answer(const Request& request);
// Speaks the protocol on in/out until "bye" or EOF; returns the process exit status.
int run_protocol_speaker(std::istream& in, std::ostream& out);

}  // namespace slmconf
