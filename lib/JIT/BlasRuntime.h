//===- BlasRuntime.h - GEMM routines for JIT-compiled code ------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_BLASRUNTIME_H
#define QJIT_LIB_JIT_BLASRUNTIME_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include <cstdint>

extern "C" {
// C[m, n] = A[m, k] * B[k, n] + beta * C, row-major with leading dimensions
// lda, ldb, ldc (beta 0: C is only written): oneDNN's dnnl_sgemm, on the
// calling thread alone (its OpenMP team held to one thread for the call).
// Float32 MatMul and Conv2D lower to it (lib/CodeGen/MatMulGemm.cpp).
void qjit_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
}

namespace qjit {

// Defines the GEMM routines that float MatMul and Conv2D lower to in `jit`'s
// main JITDylib as addresses in this process, so they resolve however the
// program was linked or loaded (no reliance on dlsym of the global scope):
// qjit_sgemm (oneDNN) for Float32 and OpenBLAS's cblas_dgemm for Float64
// (oneDNN has no double GEMM). Both run each call on the calling thread:
// large products are split into bands by the kernels themselves, each band
// one call on one of the run's threads (ParallelRuntime.h). The first call
// limits OpenBLAS to one thread for the whole process.
llvm::Error addBlasRuntime(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
