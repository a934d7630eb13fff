//===- TensorType.h - Element type and static shape -------------*- C++ -*-===//
#ifndef QJIT_IR_TENSORTYPE_H
#define QJIT_IR_TENSORTYPE_H

#include "qjit/IR/DataType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <string>

namespace qjit {

using Shape = llvm::SmallVector<int64_t, 4>;

// Number of elements of a shape; 1 for a scalar ([]).
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
  friend bool operator==(const TensorType &, const TensorType &) = default;
};

} // namespace qjit

#endif
