//===- DataType.h - Element types of tensors --------------------*- C++ -*-===//
#ifndef QJIT_IR_DATATYPE_H
#define QJIT_IR_DATATYPE_H

#include "llvm/ADT/StringRef.h"
#include <cstddef>
#include <cstdint>
#include <utility>
#include <optional>

namespace qjit {

// QJIT_DTYPE(Name, CType, NpyDescr)
#define QJIT_DTYPES(X)                                                         \
  X(Float32, float, "<f4")                                                     \
  X(Float64, double, "<f8")                                                    \
  X(Int8, int8_t, "|i1")                                                       \
  X(UInt8, uint8_t, "|u1")                                                     \
  X(Int16, int16_t, "<i2")                                                     \
  X(Int32, int32_t, "<i4")                                                     \
  X(Int64, int64_t, "<i8")                                                     \
  X(Bool, bool, "|b1")

enum class DataType : unsigned char {
#define QJIT_DTYPE_ENUM(Name, CType, Descr) Name,
  QJIT_DTYPES(QJIT_DTYPE_ENUM)
#undef QJIT_DTYPE_ENUM
};

llvm::StringRef dataTypeName(DataType type);
std::optional<DataType> parseDataType(llvm::StringRef name);
size_t dataTypeSize(DataType type);
bool isFloatType(DataType type);
bool isIntegerType(DataType type); // Bool is not an integer type
bool isSignedType(DataType type);
// The smallest and largest value of an integer type (Bool: 0 and 1; Int64
// and the float types: int64's range).
std::pair<int64_t, int64_t> integerRange(DataType type);
// NumPy's type descriptor ("<f4", "|u1", ...).
llvm::StringRef npyDescr(DataType type);
std::optional<DataType> dataTypeFromNpyDescr(llvm::StringRef descr);

} // namespace qjit

#endif
