//===- DataType.cpp -------------------------------------------------------===//
#include "qjit/IR/DataType.h"
#include "llvm/ADT/StringSwitch.h"
#include <cstdint>

namespace qjit {

llvm::StringRef dataTypeName(DataType type) {
  switch (type) {
#define QJIT_DTYPE_NAME(Name, CType, Descr)                                    \
  case DataType::Name:                                                         \
    return #Name;
    QJIT_DTYPES(QJIT_DTYPE_NAME)
#undef QJIT_DTYPE_NAME
  }
  return "?";
}

std::optional<DataType> parseDataType(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<DataType>>(name)
#define QJIT_DTYPE_CASE(Name, CType, Descr) .Case(#Name, DataType::Name)
      QJIT_DTYPES(QJIT_DTYPE_CASE)
#undef QJIT_DTYPE_CASE
          .Default(std::nullopt);
}

size_t dataTypeSize(DataType type) {
  switch (type) {
#define QJIT_DTYPE_SIZE(Name, CType, Descr)                                    \
  case DataType::Name:                                                         \
    return sizeof(CType);
    QJIT_DTYPES(QJIT_DTYPE_SIZE)
#undef QJIT_DTYPE_SIZE
  }
  return 0;
}

bool isFloatType(DataType type) {
  return type == DataType::Float32 || type == DataType::Float64;
}

bool isIntegerType(DataType type) {
  return !isFloatType(type) && type != DataType::Bool;
}

bool isSignedType(DataType type) {
  return type != DataType::UInt8 && type != DataType::Bool;
}

std::pair<int64_t, int64_t> integerRange(DataType type) {
  switch (type) {
  case DataType::Int8:
    return {INT8_MIN, INT8_MAX};
  case DataType::UInt8:
    return {0, UINT8_MAX};
  case DataType::Int16:
    return {INT16_MIN, INT16_MAX};
  case DataType::Int32:
    return {INT32_MIN, INT32_MAX};
  case DataType::Bool:
    return {0, 1};
  default:
    return {INT64_MIN, INT64_MAX};
  }
}

llvm::StringRef npyDescr(DataType type) {
  switch (type) {
#define QJIT_DTYPE_DESCR(Name, CType, Descr)                                   \
  case DataType::Name:                                                         \
    return Descr;
    QJIT_DTYPES(QJIT_DTYPE_DESCR)
#undef QJIT_DTYPE_DESCR
  }
  return "?";
}

std::optional<DataType> dataTypeFromNpyDescr(llvm::StringRef descr) {
  // Single-byte types may be written with '|', '<' or '='.
  if (descr.size() == 3 && descr.ends_with("1") &&
      (descr[0] == '<' || descr[0] == '='))
    descr = descr.substr(1);
  else if (descr.size() == 3 && descr[0] == '=')
    descr = descr.substr(1);
  return llvm::StringSwitch<std::optional<DataType>>(descr)
      .Cases("<f4", "f4", DataType::Float32)
      .Cases("<f8", "f8", DataType::Float64)
      .Cases("|i1", "i1", DataType::Int8)
      .Cases("|u1", "u1", DataType::UInt8)
      .Cases("<i2", "i2", DataType::Int16)
      .Cases("<i4", "i4", DataType::Int32)
      .Cases("<i8", "i8", DataType::Int64)
      .Cases("|b1", "b1", DataType::Bool)
      .Default(std::nullopt);
}

} // namespace qjit
