// `cmd:` (a long-lived protocol speaker) and `oneshot:` (one process per case) connectors.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "child_process.h"
#include "ops/op.h"
#include "slmconf/connector.h"

namespace slmconf {

std::unique_ptr<Connector> make_reference_connector();

namespace {

Clock::time_point deadline_after(double seconds) {
  return Clock::now() + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
}

class ProtocolConnector final : public Connector {
public:
  ProtocolConnector(std::string command_line, double hello_timeout)
      : command_line_(std::move(command_line)), hello_timeout_(hello_timeout) {}
  ~ProtocolConnector() override { stop(); }

  Hello hello() override {
    if (!child_) {
      if (auto s = start(); !s.ok()) {
        Hello h;
        h.name = "(did not start: " + s.message + ")";
        return h;
      }
    }
    return hello_;
  }

  Attempt run(const Request& request, double timeout_seconds) override {
    Attempt a;
    if (!child_) {
      if (auto s = start(); !s.ok()) {
        a.kind = Attempt::Kind::CRASH;
        a.not_started = true;
        a.detail = "runtime did not start: " + s.message;
        a.stderr_text = pending_stderr_;
        pending_stderr_.clear();
        return a;
      }
    }
    if (!child_->write_line(request_line(request))) {
      return finish(a, Attempt::Kind::CRASH, "runtime closed its input");
    }
    std::string line;
    switch (child_->read_line(line, kMaxLineBytes, deadline_after(timeout_seconds))) {
      case ChildProcess::ReadStatus::TIMEOUT: return finish(a, Attempt::Kind::TIMEOUT, "no answer within the timeout");
      case ChildProcess::ReadStatus::END_OF_FILE: return finish(a, Attempt::Kind::CRASH, exit_detail());
      case ChildProcess::ReadStatus::TOO_LONG: return finish(a, Attempt::Kind::GARBAGE, "answer line longer than 1 MiB");
      case ChildProcess::ReadStatus::LINE: break;
    }
    auto answer = parse_answer(line, request);
    if (!answer.ok()) return finish(a, Attempt::Kind::GARBAGE, answer.status().message);
    a.answer = std::move(answer.value());
    a.stderr_text = child_->take_stderr();
    return a;
  }

  bool started() const override { return child_ != nullptr; }

  void stop() override {
    if (!child_) return;
    child_->write_line(bye_line());
    if (!child_->wait(deadline_after(1))) child_->kill();
    child_.reset();  // kills what is left of its process group and reaps its orphans
  }

private:
  // Starts the runtime and reads its hello. The status's message becomes the detail of the attempt
  // (its code is not reported): the spawn's error, the hello's parse error, or E_IO_READ for no hello.
  slm::Status start() {
    auto spawned = ChildProcess::spawn(command_line_, true);
    if (!spawned.ok()) return spawned.status();
    child_ = std::move(spawned.value());
    std::string line;
    const auto read = child_->read_line(line, kMaxLineBytes, deadline_after(hello_timeout_));
    slm::Status status;
    if (read == ChildProcess::ReadStatus::LINE) {
      auto parsed = parse_hello(line);
      if (parsed.ok()) hello_ = parsed.value();
      else status = parsed.status();
    } else {
      status = slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset,
                               read == ChildProcess::ReadStatus::TIMEOUT ? "no hello within the timeout"
                                                                         : "no hello: " + exit_detail());
    }
    if (!status.ok()) {
      pending_stderr_ = child_->take_stderr();
      child_->kill();
      child_.reset();
    }
    return status;
  }

  std::string exit_detail() {
    const auto status = child_->wait(deadline_after(0.5));
    return status ? "runtime " + status->describe() : "runtime closed its output";
  }

  // Ends an attempt that has no answer: the runtime's state is unknown, so it is restarted.
  Attempt finish(Attempt& a, Attempt::Kind kind, const std::string& detail) {
    a.kind = kind;
    a.detail = detail;
    a.stderr_text = child_->take_stderr();
    child_->kill();
    child_.reset();
    return a;
  }

  std::string command_line_;
  double hello_timeout_;
  std::unique_ptr<ChildProcess> child_;
  Hello hello_;
  std::string pending_stderr_;
};

class OneShotConnector final : public Connector {
public:
  explicit OneShotConnector(std::string command_line) : command_line_(std::move(command_line)) {}

  Hello hello() override { return {kProtocolName, command_line_, "", "", {"validate"}}; }

  Attempt run(const Request& request, double timeout_seconds) override {
    Attempt a;
    // The operation says whether and how one-shot mode runs it (spec/protocol.md section 5).
    const auto arguments = std::visit(
        [](const auto& p) { return Behaviour<OpOf<decltype(p)>>::oneshot_arguments(p); }, request.params);
    if (!arguments) {
      a.answer.kind = Answer::Kind::SKIPPED;
      a.answer.message = "one-shot mode only validates";
      return a;
    }
    const std::string command = command_line_ + (arguments->empty() ? "" : " " + *arguments) + " " + shell_quote(request.path);
    auto spawned = ChildProcess::spawn(command, false);
    if (!spawned.ok()) {
      a.kind = Attempt::Kind::CRASH;
      a.detail = spawned.status().message;
      return a;
    }
    const std::unique_ptr<ChildProcess>& child = spawned.value();
    const auto deadline = deadline_after(timeout_seconds);
    std::string out;
    const auto status = child->read_all(out, kMaxLineBytes, deadline);
    const auto exit_status = status == ChildProcess::ReadStatus::END_OF_FILE ? child->wait(deadline) : std::nullopt;
    a.stderr_text = child->take_stderr();
    if (status == ChildProcess::ReadStatus::TOO_LONG) {
      a.kind = Attempt::Kind::GARBAGE;
      a.detail = "more than 1 MiB on stdout";
    } else if (!exit_status) {
      a.kind = Attempt::Kind::TIMEOUT;
      a.detail = "did not finish within the timeout";
    } else if (exit_status->signaled || exit_status->value > 2) {
      a.kind = Attempt::Kind::CRASH;
      a.detail = exit_status->describe() + (exit_status->signaled ? "" : " (0 accept, 1 reject, 2 I/O error)");
    } else {
      // 2 is a rejection too: the input could not be read (spec/protocol.md, "One-shot mode")
      a.answer = parse_oneshot_output(exit_status->value == 0, out);
    }
    child->kill();  // the process has ended: this reaps whatever it left running
    return a;
  }

  void stop() override {}

private:
  std::string command_line_;
};

}  // namespace

slm::Result<std::unique_ptr<Connector>> make_connector(const std::string& spec, double timeout_seconds) {
  using Made = std::unique_ptr<Connector>;
  if (spec == "ref") return make_reference_connector();
  if (spec.rfind("cmd:", 0) == 0 && spec.size() > 4) return Made(std::make_unique<ProtocolConnector>(spec.substr(4), timeout_seconds));
  if (spec.rfind("oneshot:", 0) == 0 && spec.size() > 8) return Made(std::make_unique<OneShotConnector>(spec.substr(8)));
  if (spec.rfind("wasm:", 0) == 0 && spec.size() > 5) {
    // A module of the WASM ABI (spec/wasm-abi.md), run by the Node speaker of wasm/speaker.mjs.
    const char* env = std::getenv("SLM_WASM_SPEAKER");
    const std::string speaker = env && *env ? env : SLM_WASM_SPEAKER;
    if (::access(speaker.c_str(), R_OK) != 0) {
      return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset,
                             "wasm: needs the speaker " + speaker + " (set SLM_WASM_SPEAKER to wasm/speaker.mjs)");
    }
    return Made(std::make_unique<ProtocolConnector>("node " + shell_quote(speaker) + " " + shell_quote(spec.substr(5)), timeout_seconds));
  }
  return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset,
                         "unknown runtime '" + spec + "' (use ref, cmd:<command line>, oneshot:<command line> or wasm:<module.wasm>)");
}

}  // namespace slmconf
