//===- TensorType.cpp -----------------------------------------------------===//
#include "qjit/IR/TensorType.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace qjit {

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Error checkShape(llvm::ArrayRef<int64_t> shape, int64_t elementBytes) {
  int64_t bytes = elementBytes;
  for (int64_t d : shape) {
    if (d < 0)
      return makeError("shape {} has a negative dimension",
                       shapeToString(shape));
    if (d != 0 && (llvm::MulOverflow(bytes, d, bytes) || bytes > kMaxTensorBytes))
      return makeError("shape {} is too large: more than 2^48 bytes",
                       shapeToString(shape));
  }
  return llvm::Error::success();
}

llvm::Error TensorType::check() const {
  return checkShape(shape, static_cast<int64_t>(dataTypeSize(elementType)));
}

std::string shapeToString(llvm::ArrayRef<int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

Shape rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  Shape strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::string TensorType::toString() const {
  return fmt::format("{} {}", dataTypeName(elementType).str(),
                     shapeToString(shape));
}

} // namespace qjit
