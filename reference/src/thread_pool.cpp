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
  // A job: written by the caller before it bumps `generation` (release), read by the workers
  // after they see the new generation (acquire).
  Task task = nullptr;
  void* context = nullptr;
  bool stop = false;
  std::atomic<std::uint32_t> generation{0};
  std::atomic<std::uint32_t> pending{0};  // workers that have not finished the current job
  std::vector<std::thread> workers;

  void work(std::uint32_t part) {
    std::uint32_t seen = 0;
    for (;;) {
      seen = wait_while_equal(generation, seen);
      if (stop) return;
      task(context, part);
      // The last one to finish wakes the caller (acq_rel: its writes happen before the caller goes on).
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.notify_one();
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
      shared_->workers.emplace_back([s = shared_.get(), part] { s->work(part); });
    } catch (const std::system_error&) {
      break;  // fewer threads than asked: the work is split among those there are
    }
  }
  size_ = static_cast<std::uint32_t>(shared_->workers.size()) + 1;
}

ThreadPool::~ThreadPool() {
  if (shared_->workers.empty()) return;
  shared_->stop = true;
  shared_->generation.fetch_add(1, std::memory_order_release);
  shared_->generation.notify_all();
  for (auto& w : shared_->workers) w.join();
}

void ThreadPool::dispatch(Task task, void* context) {
  Shared& s = *shared_;
  s.task = task;
  s.context = context;
  s.pending.store(static_cast<std::uint32_t>(s.workers.size()), std::memory_order_relaxed);
  s.generation.fetch_add(1, std::memory_order_release);
  s.generation.notify_all();
  task(context, 0);
  for (std::uint32_t left = s.pending.load(std::memory_order_acquire); left != 0;) left = wait_while_equal(s.pending, left);
}

#endif

}  // namespace slm
