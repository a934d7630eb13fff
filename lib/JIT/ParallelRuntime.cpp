//===- ParallelRuntime.cpp - Threads for JIT-compiled kernels -------------===//
#include "ParallelRuntime.h"
#include "RuntimeSymbols.h"

namespace qjit {

llvm::Error addParallelRuntime(llvm::orc::LLJIT &jit) {
  return defineRuntimeSymbols(
      jit, {{"qjit_parallel_for",
             llvm::orc::ExecutorAddr::fromPtr(&qjit_parallel_for)}});
}

} // namespace qjit
