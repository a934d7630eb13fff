//===- ParallelRuntime.h - Threads for JIT-compiled kernels -----*- C++ -*-===//
//
// Kernels split their large loops into chunks (lib/CodeGen/Parallel.h) and
// hand them to qjit_parallel_for, which runs them on oneTBB's threads. How
// many threads a run may use is chosen per run (RunOptions::threads), not
// when compiling: runWithThreads runs the entry inside a task_arena of that
// concurrency, or, for one thread, on the calling thread with no TBB call at
// all.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_JIT_PARALLELRUNTIME_H
#define QJIT_LIB_JIT_PARALLELRUNTIME_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include <cstdint>

extern "C" {
// Calls body(ctx, begin, end) over disjoint chunks covering [0, count), each
// of `grain` to 2 * grain - 1 iterations (but a shorter whole range),
// possibly on several threads at once; returns when every chunk is done.
// Serial (one call over [0, count)) inside runWithThreads(1, ...).
void qjit_parallel_for(void (*body)(void *ctx, int64_t begin, int64_t end),
                       void *ctx, int64_t count, int64_t grain);
}

namespace qjit {

// The threads "all cores" means: oneTBB's default concurrency (the CPUs
// this process may run on).
unsigned defaultThreadCount();

// Calls `fn` (which runs JIT-compiled code) so that the kernels' parallel
// loops use at most `threads` threads (0, or more than
// defaultThreadCount(): defaultThreadCount()). Safe to call from several
// threads at once, with the same or different counts.
void runWithThreads(unsigned threads, llvm::function_ref<void()> fn);

// Defines qjit_parallel_for in `jit`'s main JITDylib.
llvm::Error addParallelRuntime(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
