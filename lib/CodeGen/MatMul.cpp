//===- MatMul.cpp - Lowering of MatMul ------------------------------------===//
//
// C[b..., i, j] = sum_k A[b'..., i, k] * B[b''..., k, j], the batch
// dimensions broadcasting NumPy-style: one product per batch element (see
// MatMulGemm.h), the batch walked by the collapsed loop nest of Broadcast.h
// in units of whole matrices.
//
//===----------------------------------------------------------------------===//
#include "Broadcast.h"
#include "Kernel.h"
#include "LoopBuilder.h"
#include "MatMulGemm.h"
#include <functional>

using namespace llvm;

namespace qjit {

void emitMatMul(Kernel &k) {
  const TensorType &aType = k.operands[0].type;
  const TensorType &bType = k.operands[1].type;
  const TensorType &cType = k.results[0].type;
  if (cType.numElements() == 0)
    return;
  allowReadingResult(k.results[0].ptr);

  DataType type = cType.elementType;
  int64_t m = aType.shape[aType.rank() - 2];
  int64_t depth = aType.shape.back();
  int64_t n = bType.shape.back();
  ArrayRef<int64_t> batchA = ArrayRef(aType.shape).drop_back(2);
  ArrayRef<int64_t> batchB = ArrayRef(bType.shape).drop_back(2);
  ArrayRef<int64_t> batchC = ArrayRef(cType.shape).drop_back(2);
  LoopNest nest = collapseBroadcast(batchC, {batchA, batchB, batchC});
  const int64_t matrixSize[3] = {m * depth, depth * n, m * n};

  GemmArgs g;
  g.type = type;
  g.m = m;
  g.k = depth;
  g.n = k.b.getInt64(n);
  g.maxN = n;
  g.lda = depth;
  g.ldb = n;
  g.ldc = n;

  // One B for every batch element, A and C walking theirs contiguously (a
  // dense layer over a batch): one product with m * batch rows.
  bool sharedB = nest.dims.size() == 1 && nest.strides[1][0] == 0 &&
                 (nest.dims[0] == 1 ||
                  (nest.strides[0][0] == 1 && nest.strides[2][0] == 1));
  if (sharedB) {
    g.m = m * nest.dims[0];
    g.a = k.operands[0].ptr;
    g.b = k.operands[1].ptr;
    g.c = k.results[0].ptr;
    emitGemm(k.b, k.module, g);
    return;
  }

  // Nested loops over the batch; `offsets` are in elements per buffer.
  Value *base[3] = {k.operands[0].ptr, k.operands[1].ptr, k.results[0].ptr};
  std::function<void(IRBuilderBase &, size_t, ArrayRef<Value *>)> level =
      [&](IRBuilderBase &b, size_t d, ArrayRef<Value *> offsets) {
        if (d == nest.dims.size()) {
          g.a = elementPtr(b, type, base[0], offsets[0]);
          g.b = elementPtr(b, type, base[1], offsets[1]);
          g.c = elementPtr(b, type, base[2], offsets[2]);
          emitGemm(b, k.module, g);
          return;
        }
        emitLoop(
            b, nest.dims[d],
            [&](IRBuilderBase &b, Value *iv) {
              SmallVector<Value *, 3> inner;
              for (size_t t = 0; t < 3; ++t)
                inner.push_back(b.CreateAdd(
                    offsets[t], b.CreateMul(iv, b.getInt64(nest.strides[t][d] *
                                                           matrixSize[t]))));
              level(b, d + 1, inner);
            },
            "batch" + Twine(d));
      };
  Value *zero = k.b.getInt64(0);
  level(k.b, 0, {zero, zero, zero});
}

} // namespace qjit
