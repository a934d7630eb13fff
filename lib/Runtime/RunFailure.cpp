//===- RunFailure.cpp - Kernels failing their run, not the process --------===//
#include "RunFailure.h"
#include <cstdio>
#include <cstdlib>

namespace qjit {
namespace {

thread_local RunFailure *current = nullptr;
std::atomic<bool> failScratchForTesting{false};

} // namespace

void RunFailure::record(const char *what) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!hasFailed.load(std::memory_order_relaxed))
    first = what;
  hasFailed.store(true, std::memory_order_release);
}

std::string RunFailure::message() const {
  std::lock_guard<std::mutex> lock(mutex);
  return first;
}

RunFailure *currentRunFailure() { return current; }

RunFailureScope::RunFailureScope(RunFailure *failure) : saved(current) {
  current = failure;
}

RunFailureScope::~RunFailureScope() { current = saved; }

void setScratchAllocationsFailForTesting(bool fail) {
  failScratchForTesting.store(fail, std::memory_order_relaxed);
}

bool scratchAllocationsFailForTesting() {
  return failScratchForTesting.load(std::memory_order_relaxed);
}

} // namespace qjit

extern "C" void qjit_run_failed(const char *what) {
  if (qjit::RunFailure *failure = qjit::current) {
    failure->record(what);
    return;
  }
  std::fprintf(stderr, "qjit: %s\n", what);
  std::abort();
}
