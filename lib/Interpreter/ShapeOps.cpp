//===- ShapeOps.cpp - Reshape, Broadcast, Concat and Slice ----------------===//
//
// Ops that only move elements: they copy bytes, so every element type (Bool
// included) is handled alike.
// - Reshape: the same bytes in the same order.
// - Broadcast: NumPy's broadcast_to.
// - Concat: the operands in order along the axis.
// - Slice: out[i] = in[start + i * step] in every dimension.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <cstring>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

const char *bytes(const Tensor &t) {
  return static_cast<const char *>(t.data());
}
char *bytes(Tensor &t) { return static_cast<char *>(t.data()); }

void reshape(const Tensor &x, Tensor &result) {
  if (x.sizeInBytes())
    std::memcpy(result.data(), x.data(), x.sizeInBytes());
}

void broadcast(const Tensor &x, Tensor &result) {
  const size_t size = dataTypeSize(x.elementType());
  for (int64_t i = 0, e = result.numElements(); i < e; ++i)
    std::memcpy(bytes(result) + i * size,
                bytes(x) +
                    broadcastSourceIndex(i, result.shape(), x.shape()) * size,
                size);
}

void concat(int64_t axis, llvm::ArrayRef<const Tensor *> operands,
            Tensor &result) {
  const size_t size = dataTypeSize(result.elementType());
  llvm::ArrayRef<int64_t> shape = result.shape();
  const int64_t outer = numElements(shape.take_front(axis));
  const int64_t inner = numElements(shape.drop_front(axis + 1));
  // Row `o` of the result (the elements with the same leading coordinates)
  // is the operands' rows `o`, one after the other.
  char *out = bytes(result);
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *t : operands) {
      const size_t rowBytes = t->shape()[axis] * inner * size;
      if (rowBytes)
        std::memcpy(out, bytes(*t) + o * rowBytes, rowBytes);
      out += rowBytes;
    }
}

} // namespace

int64_t sliceSourceIndex(const SliceParams &p, llvm::ArrayRef<int64_t> strides,
                         int64_t linear) {
  int64_t rest = linear, source = 0;
  for (int64_t d = static_cast<int64_t>(strides.size()) - 1; d >= 0; --d) {
    int64_t coord = rest % p.sizes[d];
    rest /= p.sizes[d];
    source += (p.starts[d] + coord * p.steps[d]) * strides[d];
  }
  return source;
}

namespace {

void slice(const SliceParams &p, const Tensor &x, Tensor &result) {
  const size_t size = dataTypeSize(x.elementType());
  llvm::ArrayRef<int64_t> inShape = x.shape();
  const int64_t rank = static_cast<int64_t>(inShape.size());
  llvm::SmallVector<int64_t, 4> inStride(rank, 1);
  for (int64_t d = rank - 1; d > 0; --d)
    inStride[d - 1] = inStride[d] * inShape[d];
  for (int64_t i = 0, e = result.numElements(); i < e; ++i) {
    int64_t source = sliceSourceIndex(p, inStride, i);
    std::memcpy(bytes(result) + i * size, bytes(x) + source * size, size);
  }
}

} // namespace

llvm::Expected<Results>
evaluateShapeOp(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0];
  Tensor result(resultTypes[0]);
  const OpKind kind = op.getKind();
  if (kind == OpKind::Reshape)
    reshape(x, result);
  else if (kind == OpKind::Broadcast)
    broadcast(x, result);
  else if (kind == OpKind::Concat)
    concat(llvm::cantFail(getOpAxis(op, x.shape().size())), operands, result);
  else if (kind == OpKind::Slice)
    slice(llvm::cantFail(getSliceParams(op, x.shape())), x, result);
  else
    return makeError("'{}' is not a shape op", op.getName().str());
  return singleResult(std::move(result));
}

} // namespace qjit::interp
