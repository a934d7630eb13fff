//===- ParallelFor.h - Threads for compiled kernels -------------*- C++ -*-===//
//
// Kernels split their large loops into chunks (lib/CodeGen/Parallel.h) and
// hand them to qjit_parallel_for, which runs them on oneTBB's threads. How
// many threads a run may use is chosen per run (RunOptions::threads), not
// when compiling: runWithThreads runs the entry inside a task_arena of that
// concurrency, or, for one thread, on the calling thread with no TBB call at
// all. Code called outside runWithThreads (an AOT bundle's entry, a direct
// call of CompiledGraph::getEntry) runs its chunks in the current arena
// (oneTBB's default: all cores), capped by qjit_set_max_threads.
//
// No LLVM here: AOT bundles link this as it is, and the JIT binds the same
// functions (lib/JIT/ParallelRuntime.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_PARALLELFOR_H
#define QJIT_LIB_RUNTIME_PARALLELFOR_H

#include <cstdint>
#include <type_traits>

extern "C" {
// Calls body(ctx, begin, end) over disjoint chunks covering [0, count), each
// of `grain` to 2 * grain - 1 iterations (but a shorter whole range),
// possibly on several threads at once; returns when every chunk is done.
// Serial (one call over [0, count)) inside runWithThreads(1, ...).
void qjit_parallel_for(void (*body)(void *ctx, int64_t begin, int64_t end),
                       void *ctx, int64_t count, int64_t grain);

// Caps the threads of every later parallel loop of the process at
// `threads` (0: no cap, oneTBB's default of all cores), through oneTBB's
// global_control: the thread setting of AOT bundles' C interface. It also
// caps runWithThreads's arenas.
void qjit_set_max_threads(unsigned threads);
}

namespace qjit {

// The threads "all cores" means: oneTBB's default concurrency (the CPUs
// this process may run on).
unsigned defaultThreadCount();

// Calls fn(ctx) (which runs compiled code) so that the kernels' parallel
// loops use at most `threads` threads (0, or more than
// defaultThreadCount(): defaultThreadCount()). Safe to call from several
// threads at once, with the same or different counts.
void runWithThreads(unsigned threads, void (*fn)(void *ctx), void *ctx);

template <typename Fn> void runWithThreads(unsigned threads, Fn &&fn) {
  using Callable = std::remove_reference_t<Fn>;
  runWithThreads(
      threads, [](void *ctx) { (*static_cast<Callable *>(ctx))(); },
      const_cast<void *>(static_cast<const void *>(&fn)));
}

} // namespace qjit

#endif
