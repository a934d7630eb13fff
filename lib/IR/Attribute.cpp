//===- Attribute.cpp ------------------------------------------------------===//
#include "qjit/IR/Attribute.h"
#include "qjit/IR/DenseData.h"
#include "llvm/ADT/StringRef.h"
#include <cmath>
#include <fmt/format.h>

namespace qjit {

std::string formatFloat(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  // fmt's default is the shortest text that round-trips.
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eE") == std::string::npos)
    text += ".0";
  return text;
}

std::vector<double> Attribute::getNumbers() const {
  if (isInt())
    return {double(getInt())};
  if (isFloat())
    return {getFloat()};
  if (isIntList())
    return std::vector<double>(getIntList().begin(), getIntList().end());
  if (isFloatList())
    return std::vector<double>(getFloatList().begin(), getFloatList().end());
  return {};
}

bool operator==(const DataRef &a, const DataRef &b) {
  if (!a.data || !b.data)
    return a.data == b.data;
  return a.data->sameBytes(*b.data);
}

namespace {
template <typename T, typename F>
std::string formatList(const std::vector<T> &values, F format) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + format(values[i]);
  return out + "]";
}
std::string formatInt(int64_t v) { return fmt::format("{}", v); }
} // namespace

std::string Attribute::toString() const {
  struct Printer {
    std::string operator()(int64_t v) const { return formatInt(v); }
    std::string operator()(double v) const { return formatFloat(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const EnumValue &v) const { return v.name; }
    std::string operator()(const std::vector<int64_t> &v) const {
      return formatList(v, formatInt);
    }
    std::string operator()(const std::vector<double> &v) const {
      return formatList(v, formatFloat);
    }
    std::string operator()(const DataRef &v) const {
      return v.data ? fmt::format("<data: {} bytes>", v.data->size())
                    : "<data>";
    }
  };
  return std::visit(Printer{}, value);
}

bool coerceAttribute(AttrKind kind, Attribute &value) {
  auto toFloatList = [&] {
    if (value.isIntList()) {
      llvm::ArrayRef<int64_t> ints = value.getIntList();
      value = Attribute(std::vector<double>(ints.begin(), ints.end()));
    }
  };
  switch (kind) {
  case AttrKind::Int:
    return value.isInt();
  case AttrKind::Float:
    if (value.isInt())
      value = Attribute(double(value.getInt()));
    return value.isFloat();
  case AttrKind::Bool:
    return value.isBool();
  case AttrKind::Enum:
    return value.isEnum();
  case AttrKind::IntOrList:
    return value.isInt() || value.isIntList();
  case AttrKind::FloatOrList:
    if (value.isInt())
      value = Attribute(double(value.getInt()));
    toFloatList();
    return value.isFloat() || value.isFloatList();
  case AttrKind::IntList:
    return value.isIntList();
  case AttrKind::Numbers:
    return value.isInt() || value.isFloat() || value.isList();
  case AttrKind::Data:
    return value.isData();
  }
  return false;
}

namespace {
struct AttrKindText {
  llvm::StringLiteral description, syntax;
};
constexpr AttrKindText attrKindTexts[] = {
#define QJIT_ATTR_KIND_TEXT(Kind, Description, Syntax) {Description, Syntax},
    QJIT_ATTR_KINDS(QJIT_ATTR_KIND_TEXT)
#undef QJIT_ATTR_KIND_TEXT
};
} // namespace

llvm::StringRef attrKindDescription(AttrKind kind) {
  return attrKindTexts[static_cast<size_t>(kind)].description;
}

llvm::StringRef attrKindSyntax(AttrKind kind) {
  return attrKindTexts[static_cast<size_t>(kind)].syntax;
}

} // namespace qjit
