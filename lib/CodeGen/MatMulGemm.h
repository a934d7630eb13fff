//===- MatMulGemm.h - One row-major matrix product --------------*- C++ -*-===//
//
// The building block of MatMul and Conv2D: C = A * B, or C += A * B, with A
// [m, k], B [k, n] and C [m, n] row-major with leading dimensions lda, ldb,
// ldc (in elements). Float32 calls qjit_sgemm (oneDNN's dnnl_sgemm), Float64
// qjit_dgemm (OpenBLAS's cblas_dgemm; both in lib/Runtime/Gemm.h, which the
// JIT binds and AOT bundles link); integers, and floats whose sizes do not fit
// CBLAS's 32-bit int, use an i-k-j loop nest whose inner loop over j
// vectorizes (integer arithmetic wraps).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_MATMULGEMM_H
#define QJIT_LIB_CODEGEN_MATMULGEMM_H

#include "qjit/IR/DataType.h"
#include "llvm/IR/IRBuilder.h"

namespace qjit {

struct GemmArgs {
  DataType type;
  int64_t m = 0, k = 0;
  llvm::Value *rows = nullptr; // i64 row count at run time, at most m; null: m
  llvm::Value *n = nullptr;    // i64; at most maxN
  int64_t maxN = 0;
  llvm::Value *a = nullptr, *b = nullptr, *c = nullptr;
  int64_t lda = 0, ldb = 0, ldc = 0;
  bool accumulate = false; // C += A * B (C holds values already)
};

// Emits the product at the builder's insertion point. The caller's function
// must not carry `writeonly` on C's buffer: the product reads C back.
void emitGemm(llvm::IRBuilderBase &b, llvm::Module &module,
              const GemmArgs &args);

// Drops `writeonly` from the kernel parameter `ptr` (when an Argument), for
// kernels that read back what they have written.
void allowReadingResult(llvm::Value *ptr);

} // namespace qjit

#endif
