//===- ParallelFor.cpp - Threads for compiled kernels ---------------------===//
//
// A thread-local limit tells qjit_parallel_for whether the current run is
// serial (limit 1: the whole range in one call, no TBB) or not (a
// tbb::parallel_for in the task_arena the run entered). Arenas are created
// once per thread count and kept for the life of the process.
//
//===----------------------------------------------------------------------===//
#include "ParallelFor.h"
#include "RunFailure.h"
#include "TsanEdges.h"
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

namespace {

// The thread count of the run executing on this thread: 0 outside
// runWithThreads (an AOT bundle's entry, code called through
// CompiledGraph::getEntry directly, or a TBB worker running a chunk), where
// loops use the current arena.
thread_local unsigned runThreads = 0;

// Sets runThreads for a scope (runs may nest: a kernel never calls run(),
// but a caller's callback might).
class ThreadLimitScope {
public:
  explicit ThreadLimitScope(unsigned threads) : saved(runThreads) {
    runThreads = threads;
  }
  ~ThreadLimitScope() { runThreads = saved; }
  ThreadLimitScope(const ThreadLimitScope &) = delete;
  ThreadLimitScope &operator=(const ThreadLimitScope &) = delete;

private:
  unsigned saved;
};

// The arena of `threads` threads, created on first use. Each thread
// remembers the last one it used, so repeated runs take no lock.
oneapi::tbb::task_arena &arenaFor(unsigned threads) {
  thread_local unsigned lastThreads = 0;
  thread_local oneapi::tbb::task_arena *last = nullptr;
  if (last && lastThreads == threads)
    return *last;
  static std::mutex mutex;
  static std::map<unsigned, std::unique_ptr<oneapi::tbb::task_arena>> arenas;
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<oneapi::tbb::task_arena> &arena = arenas[threads];
  if (!arena) {
    arena = std::make_unique<oneapi::tbb::task_arena>(int(threads));
    arena->initialize();
  }
  lastThreads = threads;
  last = arena.get();
  return *arena;
}

} // namespace

extern "C" void qjit_parallel_for(void (*body)(void *, int64_t, int64_t),
                                  void *ctx, int64_t count, int64_t grain) {
  if (count <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  if (runThreads == 1 || count < 2 * grain) {
    body(ctx, 0, count);
    return;
  }
  // simple_partitioner halves the range until the pieces are at most the
  // blocked_range's grain: chunks of grain to 2 * grain - 1 iterations, taken
  // by whichever thread is free. Measured on streaming fake quantization (2
  // cores, 128K to 16M floats): 1.4x to 3x over one thread, where one
  // contiguous piece per thread (static_partitioner) gave 1.4x to 2.4x (a
  // core slowed by anything else holds up its fixed half).
  // oneTBB's spawn and join, stated for TSan (TsanEdges.h: libtbb.so is not
  // instrumented); empty outside TSan builds.
  qjit::ForkJoinEdges edges;
  // Chunks report to the caller's run (RunFailure.h), on any thread.
  qjit::RunFailure *failure = qjit::currentRunFailure();
  auto chunk = [&](const oneapi::tbb::blocked_range<int64_t> &range) {
    edges.started();
    {
      qjit::RunFailureScope failureScope(failure);
      body(ctx, range.begin(), range.end());
    }
    edges.finished();
  };
  edges.fork();
  oneapi::tbb::parallel_for(
      oneapi::tbb::blocked_range<int64_t>(0, count, 2 * grain - 1), chunk,
      oneapi::tbb::simple_partitioner());
  edges.joined();
}

extern "C" void qjit_set_max_threads(unsigned threads) {
  static std::mutex mutex;
  static std::unique_ptr<oneapi::tbb::global_control> cap;
  std::lock_guard<std::mutex> lock(mutex);
  cap.reset();
  if (threads != 0)
    cap = std::make_unique<oneapi::tbb::global_control>(
        oneapi::tbb::global_control::max_allowed_parallelism, threads);
}

namespace qjit {

unsigned defaultThreadCount() {
  static const unsigned count =
      unsigned(std::max(1, oneapi::tbb::info::default_concurrency()));
  return count;
}

void runWithThreads(unsigned threads, void (*fn)(void *), void *ctx) {
  // More threads than cores would only wait for each other (and oneTBB
  // would not start the workers anyway).
  if (threads == 0 || threads > defaultThreadCount())
    threads = defaultThreadCount();
  if (threads == 1) {
    ThreadLimitScope scope(1);
    fn(ctx);
    return;
  }
  // execute() runs fn on this thread, or, when every slot of the arena is
  // taken by other runs, on one of its threads while this one waits: the
  // limit is set wherever fn runs. oneTBB calls the functor by reference,
  // so the edges are reached from `this` before any member is read.
  // The run's failure state (RunFailure.h) goes with it.
  struct Delegated {
    unsigned threads;
    void (*fn)(void *);
    void *ctx;
    RunFailure *failure;
    ForkJoinEdges edges;
    void operator()() {
      edges.started();
      {
        ThreadLimitScope scope(threads);
        RunFailureScope failureScope(failure);
        fn(ctx);
      }
      edges.finished();
    }
  } delegated{threads, fn, ctx, currentRunFailure(), {}};
  delegated.edges.fork();
  arenaFor(threads).execute(delegated);
  delegated.edges.joined();
}

} // namespace qjit
