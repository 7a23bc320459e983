// A small persistent pool of worker threads for the forward pass (fork-join, one job at a time).
// The threads start once, with the pool, and wait between jobs (spinning briefly, then blocked), so
// a job costs no thread creation. Threads claim a job's parts as they come. Work is split into contiguous chunks that never change the order
// of any reduction: threads only decide which rows or heads a core computes, never how.
//
// Builds without threads (wasm32 under Emscripten without pthreads) have no workers: size() is 1
// and every job runs inline on the calling thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace slm {

class ThreadPool {
public:
  static constexpr std::uint32_t kMaxThreads = 256;

  // threads = 0: std::thread::hardware_concurrency() (at least 1); more than kMaxThreads are
  // capped. If the system refuses a thread, the pool keeps those it got.
  explicit ThreadPool(std::uint32_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads that run a job, the calling thread included (>= 1).
  std::uint32_t size() const { return size_; }

  // Calls f(part) once for every part in [0, size()) and returns when all have returned. The
  // calling thread takes part: it runs every part no worker has started yet, so a descheduled
  // worker does not hold the job up. Which thread runs a part is unspecified (state per part, not
  // per thread). Not reentrant: f must not run another job on this pool.
  template <class F>
  void run(F&& f) {
    if (size_ == 1) {
      f(std::uint32_t{0});
      return;
    }
    dispatch([](void* context, std::uint32_t part) { (*static_cast<std::remove_reference_t<F>*>(context))(part); },
             const_cast<void*>(static_cast<const void*>(&f)));
  }

  // Part `part` of `parts` of [0, n): contiguous, in order, sizes multiples of `grain` (but the
  // last) as even as that allows; empty for the parts there is not enough work for.
  static std::pair<std::size_t, std::size_t> chunk(std::size_t n, std::size_t grain, std::uint32_t part, std::uint32_t parts) {
    const std::size_t units = (n + grain - 1) / grain;
    const std::size_t begin = units * part / parts * grain, end = units * (part + 1) / parts * grain;
    return {begin < n ? begin : n, end < n ? end : n};
  }

  // The default thread count: the number of cores (1 in builds without threads).
  static std::uint32_t default_threads();

private:
  using Task = void (*)(void* context, std::uint32_t part);
  void dispatch(Task task, void* context);

  struct Shared;
  std::unique_ptr<Shared> shared_;
  std::uint32_t size_ = 1;
};

}  // namespace slm
