//===- Attribute.h - Typed attribute values of operations -------*- C++ -*-===//
#ifndef QJIT_IR_ATTRIBUTE_H
#define QJIT_IR_ATTRIBUTE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace qjit {

class DenseData;

// What an attribute accepts, declared per op in Ops.def. Written as:
//   Int 8; Float 0.05 (an integer literal is taken as a float); Bool true;
//   Enum a bare identifier (gradient=clipped); IntOrList 3 or [0, 3];
//   FloatOrList 0.5 or [1.0, 0.5]; IntList [1, 2]; Numbers a number or a
//   list of numbers, kept as written (Constant); Data bytes (DenseData.h),
//   written as a name (%w0) defined in the file's data section.
// X(Kind, description for errors, syntax for iropt --print-ops).
#define QJIT_ATTR_KINDS(X)                                                     \
  X(Int, "an integer", "int")                                                  \
  X(Float, "a number", "float")                                                \
  X(Bool, "true or false", "bool")                                             \
  X(Enum, "an identifier", "ident")                                            \
  X(IntOrList, "an integer or a list of integers", "int|[int]")                \
  X(FloatOrList, "a number or a list of numbers", "float|[float]")             \
  X(IntList, "a list of integers", "[int]")                                    \
  X(Numbers, "a number or a list of numbers", "number|[number]")               \
  X(Data, "a data name like %w0", "%name")

enum class AttrKind {
#define QJIT_ATTR_KIND_ENUM(Kind, Description, Syntax) Kind,
  QJIT_ATTR_KINDS(QJIT_ATTR_KIND_ENUM)
#undef QJIT_ATTR_KIND_ENUM
};

// An enum value is a bare identifier, distinct from a string.
struct EnumValue {
  std::string name;
  friend bool operator==(const EnumValue &, const EnumValue &) = default;
};

// Shared bytes (a data constant's); equal when the bytes are, wherever they
// are stored. Null only while the parser has not yet read the data section.
struct DataRef {
  std::shared_ptr<const DenseData> data;
  friend bool operator==(const DataRef &, const DataRef &);
};

class Attribute {
public:
  using Storage =
      std::variant<int64_t, double, bool, EnumValue, std::vector<int64_t>,
                   std::vector<double>, DataRef>;

  Attribute() : value(int64_t(0)) {}
  Attribute(int64_t v) : value(v) {}
  Attribute(int v) : value(int64_t(v)) {}
  Attribute(double v) : value(v) {}
  Attribute(bool v) : value(v) {}
  Attribute(EnumValue v) : value(std::move(v)) {}
  Attribute(std::vector<int64_t> v) : value(std::move(v)) {}
  Attribute(std::vector<double> v) : value(std::move(v)) {}
  Attribute(std::shared_ptr<const DenseData> v)
      : value(DataRef{std::move(v)}) {}
  static Attribute enumValue(llvm::StringRef name) {
    return Attribute(EnumValue{name.str()});
  }

  bool isInt() const { return std::holds_alternative<int64_t>(value); }
  bool isFloat() const { return std::holds_alternative<double>(value); }
  bool isBool() const { return std::holds_alternative<bool>(value); }
  bool isEnum() const { return std::holds_alternative<EnumValue>(value); }
  bool isIntList() const {
    return std::holds_alternative<std::vector<int64_t>>(value);
  }
  bool isFloatList() const {
    return std::holds_alternative<std::vector<double>>(value);
  }
  bool isList() const { return isIntList() || isFloatList(); }
  bool isData() const { return std::holds_alternative<DataRef>(value); }

  int64_t getInt() const { return std::get<int64_t>(value); }
  double getFloat() const { return std::get<double>(value); }
  bool getBool() const { return std::get<bool>(value); }
  llvm::StringRef getEnum() const { return std::get<EnumValue>(value).name; }
  llvm::ArrayRef<int64_t> getIntList() const {
    return std::get<std::vector<int64_t>>(value);
  }
  llvm::ArrayRef<double> getFloatList() const {
    return std::get<std::vector<double>>(value);
  }
  const std::shared_ptr<const DenseData> &getData() const {
    return std::get<DataRef>(value).data;
  }
  // A number (int or float) as a double.
  double getNumber() const { return isInt() ? double(getInt()) : getFloat(); }
  // Every number of a scalar or list, as doubles.
  std::vector<double> getNumbers() const;

  const Storage &storage() const { return value; }

  // The canonical text form: floats shortest round-trip with a '.0' or
  // exponent so they re-parse as floats; lists as [a, b].
  std::string toString() const;

  friend bool operator==(const Attribute &, const Attribute &) = default;

private:
  Storage value;
};

// Converts a parsed value to what `kind` wants (an Int literal to a Float,
// ...); returns false when the value cannot be of that kind.
bool coerceAttribute(AttrKind kind, Attribute &value);
// "an integer", for error messages.
llvm::StringRef attrKindDescription(AttrKind kind);
// "int|[int]": how a value is written, for iropt --print-ops.
llvm::StringRef attrKindSyntax(AttrKind kind);

struct NamedAttribute {
  std::string name;
  Attribute value;
  friend bool operator==(const NamedAttribute &,
                         const NamedAttribute &) = default;
};

// Attributes of one op, kept in the op's declared order (Ops.def).
using AttrList = std::vector<NamedAttribute>;

// Shortest text that parses back to exactly `value` ("0.05", "1.0", "inf").
std::string formatFloat(double value);

} // namespace qjit

#endif
