//===- TensorType.h - Element type and static shape -------------*- C++ -*-===//
#ifndef QJIT_IR_TENSORTYPE_H
#define QJIT_IR_TENSORTYPE_H

#include "qjit/IR/DataType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>

namespace qjit {

using Shape = llvm::SmallVector<int64_t, 4>;

// The largest tensor qjit handles: 2^48 bytes (256 TiB). Within it, every
// element count, byte count, stride and element offset computed from a
// shape fits in int64_t with room to spare, so code that only sees checked
// types (the verifier's graphs) multiplies shapes without overflow checks.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;

// Number of elements of a shape; 1 for a scalar ([]). The shape must have
// passed checkShape (or checkTensorType).
int64_t numElements(llvm::ArrayRef<int64_t> shape);
// Checks that no dimension is negative and that the product of the nonzero
// dimensions times `elementBytes` (which bounds every count, stride and
// offset) is at most kMaxTensorBytes, multiplying with overflow checks.
llvm::Error checkShape(llvm::ArrayRef<int64_t> shape, int64_t elementBytes);
int64_t numElements(llvm::ArrayRef<int64_t> shape);
// "[3, 4]"; "[]" for a scalar.
std::string shapeToString(llvm::ArrayRef<int64_t> shape);
// Row-major strides in elements.
Shape rowMajorStrides(llvm::ArrayRef<int64_t> shape);

struct TensorType {
  DataType elementType = DataType::Float32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numElements() const { return qjit::numElements(shape); }
  size_t sizeInBytes() const {
    return static_cast<size_t>(numElements()) * dataTypeSize(elementType);
  }
  // "Float32 [3, 4]"
  std::string toString() const;
  // checkShape for this type's shape and element size.
  llvm::Error check() const;
  friend bool operator==(const TensorType &, const TensorType &) = default;
};

} // namespace qjit

#endif
