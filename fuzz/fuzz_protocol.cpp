// The harness's parsers of untrusted text: protocol requests (what `slm protocol` reads), answers
// and hellos (what the runner reads from a runtime), one-shot output, and annotated hex cases.
#include <cstdint>
#include <string>

#include "slmconf/cases.h"
#include "slmconf/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Every parser may refuse the text: only a crash, a leak or undefined behaviour is a finding, so
  // the results are deliberately dropped.
  (void)slmconf::parse_request(text);
  slmconf::Request request;  // an answer's fields depend on the request's operation: try each
  request.seq = 1;
  for (const auto& params : {slmconf::OpParams{slmconf::ops::Validate::Params{}}, slmconf::OpParams{slmconf::ops::Generate::Params{}},
                             slmconf::OpParams{slmconf::ops::ApplyAdapter::Params{}}}) {
    request.params = params;
    (void)slmconf::parse_answer(text, request);
  }
  (void)slmconf::parse_hello(text);
  (void)slmconf::parse_oneshot_output(false, text);
  if (text.size() < 4096) (void)slmconf::parse_annotated_hex(text);  // repeats expand: keep it small
  return 0;
}
