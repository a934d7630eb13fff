//===- RunFailure.h - Kernels failing their run, not the process -*- C++ -*-===//
//
// A compiled kernel cannot return an error, but the runtime functions it
// calls can fail: a per-thread scratch buffer or an integer GEMM's panel
// that cannot be allocated, oneDNN failing to allocate its packing buffers.
// Such a function calls qjit_run_failed() and returns without doing its
// work; CompiledGraph::run then returns an llvm::Error instead of the
// outputs (whose contents are then undefined).
//
// The failure goes to the RunFailure of the run the current thread works
// for: CompiledGraph::run sets it on its thread, and runWithThreads and
// qjit_parallel_for carry it to whichever threads run the graph's tasks.
// Code with no run to report to (an AOT bundle's entry, a compiled function
// called directly) still stops the process, with the message.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_RUNFAILURE_H
#define QJIT_LIB_RUNTIME_RUNFAILURE_H

#include <atomic>
#include <mutex>
#include <string>

extern "C" {
// Reports that the current run cannot be completed, with what failed.
void qjit_run_failed(const char *what);
}

namespace qjit {

// The failure state of one run, shared by the threads working for it. The
// first message is kept.
class RunFailure {
public:
  void record(const char *what);
  bool failed() const { return hasFailed.load(std::memory_order_acquire); }
  std::string message() const;

private:
  std::atomic<bool> hasFailed{false};
  mutable std::mutex mutex;
  std::string first;
};

// The RunFailure the current thread reports to (null outside a run).
RunFailure *currentRunFailure();

// Makes `failure` the current thread's for a scope.
class RunFailureScope {
public:
  explicit RunFailureScope(RunFailure *failure);
  ~RunFailureScope();
  RunFailureScope(const RunFailureScope &) = delete;
  RunFailureScope &operator=(const RunFailureScope &) = delete;

private:
  RunFailure *saved;
};

// For tests: while set, every per-thread scratch and integer GEMM panel
// request fails as if memory were exhausted (even one an earlier call's
// buffer would hold).
void setScratchAllocationsFailForTesting(bool fail);
bool scratchAllocationsFailForTesting();

} // namespace qjit

#endif
