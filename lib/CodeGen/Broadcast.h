//===- Broadcast.h - Iteration spaces of broadcasting ops -------*- C++ -*-===//
#ifndef QJIT_LIB_CODEGEN_BROADCAST_H
#define QJIT_LIB_CODEGEN_BROADCAST_H

#include "qjit/IR/TensorType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

namespace qjit {

// The loops of an elementwise op: `dims` outermost first, and for each
// buffer its stride in elements per loop (0 where it is broadcast). Size-1
// dimensions are dropped and neighbours merged wherever every buffer steps
// through them contiguously, so equal shapes become one flat loop and the
// innermost stride of every buffer is 0 or 1. Never empty: a scalar is one
// loop of one iteration.
struct LoopNest {
  Shape dims;
  llvm::SmallVector<Shape, 3> strides; // [buffer][loop]
};

// `shapes` are the buffers' shapes (NumPy broadcasting against `result`,
// which is normally one of them too).
LoopNest collapseBroadcast(llvm::ArrayRef<int64_t> result,
                           llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

} // namespace qjit

#endif
