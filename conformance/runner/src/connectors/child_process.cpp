#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace slmconf {

namespace {
constexpr std::size_t kMaxStderrBytes = 64 * 1024;  // per case; the rest is drained and dropped

// The process groups of the runtimes running now. With --jobs, several run at once: reaping one's
// orphans must never kill another's live runtime (a direct child of the runner too) or its group.
std::mutex g_live_mutex;
std::set<pid_t> g_live_groups;

bool is_live_runtime(pid_t pid) {
  const std::lock_guard lock(g_live_mutex);
  return g_live_groups.contains(pid) || g_live_groups.contains(::getpgid(pid));
}
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ExitStatus::describe() const {
  if (!signaled) return "exited with status " + std::to_string(value);
  const char* name = ::sigabbrev_np(value);
  return "killed by signal " + std::to_string(value) + (name ? std::string(" (SIG") + name + ")" : std::string());
}

void reap_orphans() {
  const pid_t self = ::getpid();
  for (int round = 0; round < 8; ++round) {  // an orphan's own orphans arrive after it dies
    std::vector<pid_t> children;
    if (DIR* proc = ::opendir("/proc")) {
      while (const dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
        std::string line;
        std::getline(stat, line);
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        long ppid = 0;
        if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) == 2 && ppid == self &&
            !is_live_runtime(static_cast<pid_t>(pid))) {
          children.push_back(static_cast<pid_t>(pid));
        }
      }
      ::closedir(proc);
    }
    if (children.empty()) return;
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  }
}

slm::Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::string& command_line, bool with_stdin) {
  ::signal(SIGPIPE, SIG_IGN);  // a runtime that dies mid-write must not kill the runner
  // Orphans of a runtime (a daemon that called setsid) become the runner's children, so that
  // kill() can end them: no process started by a run outlives it.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int in[2] = {-1, -1}, out[2], err[2];
  if ((with_stdin && ::pipe2(in, O_CLOEXEC) != 0) || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset, std::string("pipe: ") + std::strerror(errno));
  }
  // Registered as live before any other thread's reap_orphans can see it as the runner's child.
  std::unique_lock live(g_live_mutex);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(with_stdin ? in[0] : devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execl("/bin/sh", "sh", "-c", command_line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so a kill right after fork reaches the group
  g_live_groups.insert(pid);
  live.unlock();
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  child->pid_ = pid;
  if (with_stdin) {
    ::close(in[0]);
    child->stdin_ = in[1];
  }
  ::close(out[1]);
  ::close(err[1]);
  child->stdout_ = out[0];
  child->stderr_ = err[0];
  return child;
}

ChildProcess::~ChildProcess() { kill(); }

bool ChildProcess::write_line(const std::string& line) {
  if (stdin_ < 0) return false;
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(stdin_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool ChildProcess::pump(Clock::time_point deadline) {
  pollfd fds[2] = {{stdout_eof_ ? -1 : stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
  if (ready < 0 && errno != EINTR) return false;
  char buffer[65536];
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
    const ssize_t n = ::read(stdout_, buffer, sizeof buffer);
    if (n > 0) out_buffer_.append(buffer, static_cast<std::size_t>(n));
    else if (n == 0) stdout_eof_ = true;
  }
  if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
    const ssize_t n = ::read(stderr_, buffer, sizeof buffer);
    if (n > 0 && err_buffer_.size() < kMaxStderrBytes) {
      err_buffer_.append(buffer, std::min(static_cast<std::size_t>(n), kMaxStderrBytes - err_buffer_.size()));
    } else if (n == 0) {
      ::close(stderr_);
      stderr_ = -1;
    }
  }
  return true;
}

ChildProcess::ReadStatus ChildProcess::read_line(std::string& line, std::size_t max_bytes, Clock::time_point deadline) {
  for (;;) {
    if (const auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
      if (nl > max_bytes) return ReadStatus::TOO_LONG;
      line = out_buffer_.substr(0, nl);
      out_buffer_.erase(0, nl + 1);
      return ReadStatus::LINE;
    }
    if (out_buffer_.size() > max_bytes) return ReadStatus::TOO_LONG;
    if (stdout_eof_) return ReadStatus::END_OF_FILE;
    if (!pump(deadline)) return ReadStatus::TIMEOUT;
  }
}

ChildProcess::ReadStatus ChildProcess::read_all(std::string& out, std::size_t max_bytes, Clock::time_point deadline) {
  while (!stdout_eof_) {
    if (out_buffer_.size() > max_bytes) return ReadStatus::TOO_LONG;
    if (!pump(deadline)) return ReadStatus::TIMEOUT;
  }
  out = std::move(out_buffer_);
  out_buffer_.clear();
  return ReadStatus::END_OF_FILE;
}

std::optional<ExitStatus> ChildProcess::wait(Clock::time_point deadline) {
  while (!exit_status_ && pid_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = WIFSIGNALED(status) ? ExitStatus{true, WTERMSIG(status)} : ExitStatus{false, WEXITSTATUS(status)};
      break;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    if (stderr_ >= 0) pump(std::min(deadline, Clock::now() + std::chrono::milliseconds(10)));
    else ::usleep(2000);
  }
  return exit_status_;
}

std::string ChildProcess::take_stderr() {
  if (stderr_ >= 0) pump(Clock::now() + std::chrono::milliseconds(1));  // what is already there
  return std::exchange(err_buffer_, std::string());
}

void ChildProcess::kill() {
  if (pid_ > 0) ::kill(-pid_, SIGKILL);  // the whole group: sh -c may have children of its own
  if (pid_ > 0 && !exit_status_) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = ExitStatus{true, SIGKILL};
  }
  if (pid_ > 0) {
    {
      const std::lock_guard lock(g_live_mutex);
      g_live_groups.erase(pid_);
    }
    reap_orphans();
  }
  pid_ = -1;
  for (int* fd : {&stdin_, &stdout_, &stderr_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

}  // namespace slmconf
