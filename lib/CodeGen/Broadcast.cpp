//===- Broadcast.cpp - Iteration spaces of broadcasting ops ---------------===//
#include "Broadcast.h"
#include <cassert>

namespace qjit {

LoopNest collapseBroadcast(llvm::ArrayRef<int64_t> result,
                           llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  size_t rank = result.size();
  size_t count = shapes.size();

  // Strides of each buffer against the result's dimensions, right-aligned.
  llvm::SmallVector<Shape, 3> full(count, Shape(rank, 0));
  for (size_t k = 0; k < count; ++k) {
    llvm::ArrayRef<int64_t> shape = shapes[k];
    assert(shape.size() <= rank && "operand of higher rank than the result");
    Shape own = rowMajorStrides(shape);
    size_t lead = rank - shape.size();
    for (size_t d = lead; d < rank; ++d) {
      int64_t dim = shape[d - lead];
      assert((dim == result[d] || dim == 1) && "shapes do not broadcast");
      full[k][d] = dim == 1 ? 0 : own[d - lead];
    }
  }

  LoopNest nest;
  nest.strides.resize(count);
  for (size_t d = 0; d < rank; ++d) {
    if (result[d] == 1)
      continue; // every stride is irrelevant for one iteration
    bool merge = !nest.dims.empty();
    for (size_t k = 0; k < count && merge; ++k)
      merge = nest.strides[k].back() == full[k][d] * result[d];
    if (merge) {
      // The previous loop and this one walk every buffer as one.
      nest.dims.back() *= result[d];
      for (size_t k = 0; k < count; ++k)
        nest.strides[k].back() = full[k][d];
      continue;
    }
    nest.dims.push_back(result[d]);
    for (size_t k = 0; k < count; ++k)
      nest.strides[k].push_back(full[k][d]);
  }
  if (nest.dims.empty()) {
    nest.dims.push_back(1);
    for (size_t k = 0; k < count; ++k)
      nest.strides[k].push_back(0);
  }
  return nest;
}

} // namespace qjit
