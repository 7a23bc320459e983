// A child process run through /bin/sh -c in its own process group, with pipes on stdin, stdout and
// stderr, read with deadlines so that a hanging or flooding runtime cannot stall the runner.
#pragma once
#include <chrono>
#include <memory>
#include <string>

namespace slmconf {

using Clock = std::chrono::steady_clock;

class ChildProcess {
public:
  enum class ReadStatus { LINE, TIMEOUT, END_OF_FILE, TOO_LONG };

  // nullptr and `error` set if the process cannot be started.
  static std::unique_ptr<ChildProcess> spawn(const std::string& command_line, bool with_stdin, std::string& error);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool write_line(const std::string& line);  // false when the runtime no longer reads
  // One line of stdout (without '\n'); stderr is drained meanwhile.
  ReadStatus read_line(std::string& line, std::size_t max_bytes, Clock::time_point deadline);
  // Everything on stdout until EOF (TOO_LONG past max_bytes), then the exit status: for one-shot runs.
  ReadStatus read_all(std::string& out, std::size_t max_bytes, Clock::time_point deadline);
  // Exit status (>= 0), 128 + signal for a signal, -1 if still running at the deadline.
  int wait(Clock::time_point deadline);
  std::string take_stderr();
  void kill();  // SIGKILL to the whole process group, then reap

private:
  ChildProcess() = default;
  bool pump(Clock::time_point deadline);  // one poll round; false on timeout
  int pid_ = -1, stdin_ = -1, stdout_ = -1, stderr_ = -1;
  bool stdout_eof_ = false;
  int exit_status_ = -1;
  std::string out_buffer_, err_buffer_;
};

std::string shell_quote(const std::string& s);

}  // namespace slmconf
