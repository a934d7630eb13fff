//===- Gemm.h - Float GEMM routines for compiled kernels --------*- C++ -*-===//
//
// Float MatMul and Conv2D lower to these (lib/CodeGen/MatMulGemm.cpp).
// Large products are split into bands by the kernels themselves, each band
// one call on one of the run's threads (ParallelFor.h), so each call runs on
// the calling thread alone. No LLVM here: AOT bundles link this as it is,
// and the JIT binds the same functions (lib/JIT/BlasRuntime.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_GEMM_H
#define QJIT_LIB_RUNTIME_GEMM_H

#include <cstdint>

extern "C" {
// C[m, n] = A[m, k] * B[k, n] + beta * C, row-major with leading dimensions
// lda, ldb, ldc (beta 0: C is only written): oneDNN's dnnl_sgemm, its
// OpenMP team held to one thread for the call.
void qjit_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

// The same for doubles: OpenBLAS's cblas_dgemm (oneDNN has no double GEMM),
// every argument within CBLAS's 32-bit int (the code generator calls it only
// then). The first call limits OpenBLAS to one thread for the process.
void qjit_dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                const double *b, int64_t ldb, double beta, double *c,
                int64_t ldc);
}

#endif
