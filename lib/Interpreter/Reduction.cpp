//===- Reduction.cpp - ReduceSum, ReduceMean, ReduceMax, ReduceMin --------===//
//
// Over the op's axes (all when absent), with or without keep_dims (which
// changes only the result's shape, not its elements). The input is walked in
// row-major order, so each result element sees its inputs in row-major
// order:
// - ReduceSum: from T(0), adding in T (integers wrap); an empty reduction
//   is 0;
// - ReduceMean: the sum / T(count) (an empty reduction is 0 / 0 = NaN);
// - ReduceMax/ReduceMin: as the Maximum / Minimum ops (floats: NaN
//   propagates, -0.0 < +0.0), starting from the first element.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <vector>
#include "Support/MakeError.h"

namespace qjit::interp {

std::vector<int64_t> reducedIndices(llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<int64_t> axes) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> indices(numElements(shape));
  for (int64_t i = 0, e = indices.size(); i < e; ++i) {
    int64_t rest = i, index = 0, stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t coord = rest % shape[d];
      rest /= shape[d];
      if (llvm::is_contained(axes, d))
        continue;
      index += coord * stride;
      stride *= shape[d];
    }
    indices[i] = index;
  }
  return indices;
}

namespace {

template <typename T>
void reduce(OpKind kind, llvm::ArrayRef<int64_t> axes, const Tensor &x,
            Tensor &result) {
  const T *in = x.as<T>();
  T *out = result.as<T>();
  const int64_t outCount = result.numElements();
  std::vector<int64_t> target = reducedIndices(x.shape(), axes);
  const bool isSum = kind == OpKind::ReduceSum || kind == OpKind::ReduceMean;
  std::vector<bool> seen(outCount, false);
  for (int64_t o = 0; o < outCount; ++o)
    out[o] = T(0);
  for (int64_t i = 0, e = x.numElements(); i < e; ++i) {
    T &acc = out[target[i]];
    if (isSum)
      acc = wrapAdd(acc, in[i]);
    else if (!seen[target[i]])
      acc = in[i];
    else
      acc = kind == OpKind::ReduceMax ? maximumOf(acc, in[i])
                                      : minimumOf(acc, in[i]);
    seen[target[i]] = true;
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (kind == OpKind::ReduceMean) {
      int64_t count = 1;
      for (int64_t axis : axes)
        count *= x.shape()[axis];
      for (int64_t o = 0; o < outCount; ++o)
        out[o] = out[o] / static_cast<T>(count);
    }
  }
}

} // namespace

llvm::Expected<Results> evaluateReduce(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0];
  llvm::SmallVector<int64_t, 4> axes =
      llvm::cantFail(getReduceAxes(op, x.shape().size()));
  Tensor result(resultTypes[0]);
  llvm::Error err =
      visitNumericType(op, result.elementType(), [&](auto tag) -> llvm::Error {
        using T = typename decltype(tag)::type;
        if (op.getKind() == OpKind::ReduceMean && !std::is_floating_point_v<T>)
          return makeError("'ReduceMean' input must be Float32 or Float64");
        reduce<T>(op.getKind(), axes, x, result);
        return llvm::Error::success();
      });
  if (err)
    return err;
  return singleResult(std::move(result));
}

} // namespace qjit::interp
