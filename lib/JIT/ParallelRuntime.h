//===- ParallelRuntime.h - Threads for JIT-compiled kernels -----*- C++ -*-===//
#ifndef QJIT_LIB_JIT_PARALLELRUNTIME_H
#define QJIT_LIB_JIT_PARALLELRUNTIME_H

#include "Runtime/ParallelFor.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"

namespace qjit {

// Defines qjit_parallel_for (lib/Runtime/ParallelFor.h) in `jit`'s main
// JITDylib.
llvm::Error addParallelRuntime(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
