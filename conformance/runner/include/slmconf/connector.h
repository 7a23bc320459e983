// Connectors reach a runtime under test (spec/protocol.md, "Connectors"):
//   ref                    the reference, in-process
//   cmd:<command line>     a long-lived process speaking the JSON-lines protocol (run by /bin/sh -c)
//   oneshot:<command line> one process per case: `<command line> [--digest] FILE`, exit 0 accept,
//                          1 reject, 2 input unreadable (a rejection), anything else a crash
#pragma once
#include <memory>
#include <string>

#include "slm/errors.h"
#include "slmconf/case.h"
#include "slmconf/protocol.h"

namespace slmconf {

// What one attempt at a case produced.
struct Attempt {
  enum class Kind { ANSWER, TIMEOUT, CRASH, GARBAGE } kind = Kind::ANSWER;
  Answer answer;
  std::string detail;       // why there is no answer
  std::string stderr_text;  // what the runtime wrote to stderr meanwhile
  bool not_started = false;  // CRASH before the request was sent: the runtime did not start
};

class Connector {
public:
  virtual ~Connector() = default;
  // The runtime's hello (for `ref`, the reference's own). Connectors start lazily; this may start.
  virtual Hello hello() = 0;
  virtual Attempt run(const Request& request, double timeout_seconds) = 0;
  virtual void stop() = 0;
  // False when the runtime's process is not running (it failed to start): `--jobs` then falls back
  // to one worker, so a runtime that never starts is reported the same at any job count.
  virtual bool started() const { return true; }
};

// E_ARG_VALUE for an unknown connector string. A protocol runtime gets `timeout_seconds` to say
// hello, like each case gets to answer.
slm::Result<std::unique_ptr<Connector>> make_connector(const std::string& spec, double timeout_seconds);

}  // namespace slmconf
