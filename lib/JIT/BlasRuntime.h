//===- BlasRuntime.h - GEMM routines for JIT-compiled code ------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_BLASRUNTIME_H
#define QJIT_LIB_JIT_BLASRUNTIME_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"

namespace qjit {

// Defines the GEMM routines that float MatMul and Conv2D lower to
// (lib/Runtime/Gemm.h: qjit_sgemm on oneDNN, qjit_dgemm on OpenBLAS) in
// `jit`'s main JITDylib as addresses in this process.
llvm::Error addBlasRuntime(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
