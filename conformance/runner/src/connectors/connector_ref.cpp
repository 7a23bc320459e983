// `ref`: the reference implementation, called in-process.
#include "slmconf/connector.h"
#include "slmconf/reference_runtime.h"

namespace slmconf {

class ReferenceConnector final : public Connector {
public:
  Hello hello() override { return reference_hello(); }
  Attempt run(const Request& request, double) override {
    Attempt a;
    a.answer = reference_answer(request);
    return a;
  }
  void stop() override {}
};

std::unique_ptr<Connector> make_reference_connector() { return std::make_unique<ReferenceConnector>(); }

}  // namespace slmconf
