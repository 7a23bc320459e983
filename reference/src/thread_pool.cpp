#include "slm/thread_pool.h"

#ifndef __EMSCRIPTEN__
#include <atomic>
#include <chrono>
#include <system_error>
#include <thread>
#include <vector>
#endif

namespace slm {

#ifdef __EMSCRIPTEN__  // no pthreads in the wasm32 build: everything runs inline

struct ThreadPool::Shared {};

ThreadPool::ThreadPool(std::uint32_t) {}
ThreadPool::~ThreadPool() = default;
std::uint32_t ThreadPool::default_threads() { return 1; }
void ThreadPool::dispatch(Task task, void* context) { task(context, 0); }

#else

namespace {

// How long a waiting thread polls before it blocks in the kernel: the gaps between the jobs of one
// forward pass are microseconds, far shorter than a sleep and a wake-up; longer waits (between
// tokens, or more threads than cores) should leave the core to others.
constexpr auto kSpinTime = std::chrono::microseconds(50);

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Waits until `value` differs from `old` and returns the new value.
std::uint32_t wait_while_equal(const std::atomic<std::uint32_t>& value, std::uint32_t old) {
  std::uint32_t v = value.load(std::memory_order_acquire);
  if (v != old) return v;
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (unsigned i = 1; v == old; ++i) {
    relax();
    v = value.load(std::memory_order_acquire);
    if (i % 32 == 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  while (v == old) {
    value.wait(old, std::memory_order_acquire);
    v = value.load(std::memory_order_acquire);
  }
  return v;
}

}  // namespace

struct ThreadPool::Shared {
  // A job: written by the caller before it publishes the job's generation in `claim` (release),
  // read by a thread only after it has claimed one of the job's parts there (acquire). The next job
  // rewrites them only once every part is done, so a claimed part always sees its own job.
  Task task = nullptr;
  void* context = nullptr;
  std::uint32_t parts = 1;  // every job has one part per thread (set once, before any job)
  bool stop = false;
  std::atomic<std::uint32_t> generation{0};  // the current job's number; idle workers wait on it
  std::atomic<std::uint64_t> claim{0};       // generation << 32 | the next unclaimed part
  std::atomic<std::uint32_t> done{0};        // parts of the current job that have returned
  std::vector<std::thread> workers;

  // Claims and runs parts of job `job` until none is left. Any thread may run any part: the caller
  // runs those no worker has started, so a worker the OS has not scheduled (more threads than
  // free cores) delays nothing.
  void help(std::uint32_t job) {
    std::uint64_t c = claim.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<std::uint32_t>(c >> 32) != job || static_cast<std::uint32_t>(c) >= parts) return;
      if (!claim.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      task(context, static_cast<std::uint32_t>(c));
      // The last part wakes the caller (acq_rel: every part's writes happen before it goes on).
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == parts) done.notify_one();
      c = claim.load(std::memory_order_acquire);
    }
  }

  void work() {
    for (std::uint32_t seen = 0;;) {
      seen = wait_while_equal(generation, seen);
      if (stop) return;
      help(seen);
    }
  }
};

std::uint32_t ThreadPool::default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n > kMaxThreads ? kMaxThreads : static_cast<std::uint32_t>(n);
}

ThreadPool::ThreadPool(std::uint32_t threads) : shared_(std::make_unique<Shared>()) {
  if (threads == 0) threads = default_threads();
  if (threads > kMaxThreads) threads = kMaxThreads;
  shared_->workers.reserve(threads - 1);
  for (std::uint32_t part = 1; part < threads; ++part) {
    try {
      shared_->workers.emplace_back([s = shared_.get()] { s->work(); });
    } catch (const std::system_error&) {
      break;  // fewer threads than asked: the work is split among those there are
    }
  }
  size_ = static_cast<std::uint32_t>(shared_->workers.size()) + 1;
  shared_->parts = size_;  // the workers read it only once a job is published
}

ThreadPool::~ThreadPool() {
  if (shared_->workers.empty()) return;
  shared_->stop = true;
  shared_->generation.fetch_add(1, std::memory_order_release);  // no job is running: none will start
  shared_->generation.notify_all();
  for (auto& w : shared_->workers) w.join();
}

void ThreadPool::dispatch(Task task, void* context) {
  Shared& s = *shared_;
  const std::uint32_t job = s.generation.load(std::memory_order_relaxed) + 1;
  s.task = task;
  s.context = context;
  s.done.store(0, std::memory_order_relaxed);
  s.claim.store(std::uint64_t{job} << 32, std::memory_order_release);
  s.generation.store(job, std::memory_order_release);
  s.generation.notify_all();
  s.help(job);
  for (std::uint32_t d = s.done.load(std::memory_order_acquire); d != s.parts;) d = wait_while_equal(s.done, d);
}

#endif

}  // namespace slm
