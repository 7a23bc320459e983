// A child process run through /bin/sh -c in its own process group, with pipes on stdin, stdout and
// stderr, read with deadlines so that a hanging or flooding runtime cannot stall the runner.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "slm/errors.h"

namespace slmconf {

using Clock = std::chrono::steady_clock;

// How a process ended: an exit code, or the signal that killed it (never confused: a runtime that
// exits 255 did not die of signal 127).
struct ExitStatus {
  bool signaled = false;
  int value = 0;  // the exit code, or the signal number
  std::string describe() const;  // "exited with status 3", "killed by signal 9 (SIGKILL)"
};

class ChildProcess {
public:
  enum class ReadStatus { LINE, TIMEOUT, END_OF_FILE, TOO_LONG };

  // The running process, or E_IO_READ when its pipes cannot be made or it cannot be forked (a command
  // that does not exist is not an error here: /bin/sh starts and exits 127).
  static slm::Result<std::unique_ptr<ChildProcess>> spawn(const std::string& command_line, bool with_stdin);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool write_line(const std::string& line);  // false when the runtime no longer reads
  // One line of stdout (without '\n'); stderr is drained meanwhile.
  ReadStatus read_line(std::string& line, std::size_t max_bytes, Clock::time_point deadline);
  // Everything on stdout until EOF (TOO_LONG past max_bytes), then the exit status: for one-shot runs.
  ReadStatus read_all(std::string& out, std::size_t max_bytes, Clock::time_point deadline);
  // How it ended, or nullopt if it is still running at the deadline.
  std::optional<ExitStatus> wait(Clock::time_point deadline);
  std::string take_stderr();
  // SIGKILL to the whole process group, then reap it and every orphan it left: the runner is a child
  // subreaper, so a descendant that escaped the group (setsid) is reparented to it and killed here.
  void kill();

private:
  ChildProcess() = default;
  bool pump(Clock::time_point deadline);  // one poll round; false on timeout
  int pid_ = -1, stdin_ = -1, stdout_ = -1, stderr_ = -1;
  bool stdout_eof_ = false;
  std::optional<ExitStatus> exit_status_;
  std::string out_buffer_, err_buffer_;
};

std::string shell_quote(const std::string& s);

// Kills and reaps every process whose parent is this one (orphans reparented to the subreaper
// runner); the runner has no other children while it drives a runtime.
void reap_orphans();

}  // namespace slmconf
