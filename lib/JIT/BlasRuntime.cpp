//===- BlasRuntime.cpp - The GEMM routines JIT-compiled code calls --------===//
#include "BlasRuntime.h"
#include "Runtime/Gemm.h"
#include "RuntimeSymbols.h"

namespace qjit {

llvm::Error addBlasRuntime(llvm::orc::LLJIT &jit) {
  using llvm::orc::ExecutorAddr;
  return defineRuntimeSymbols(
      jit, {{"qjit_sgemm", ExecutorAddr::fromPtr(&qjit_sgemm)},
            {"qjit_dgemm", ExecutorAddr::fromPtr(&qjit_dgemm)}});
}

} // namespace qjit
