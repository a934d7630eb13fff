//===- PrintOps.cpp -------------------------------------------------------===//
#include "PrintOps.h"
#include "qjit/IR/OpKind.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include <string>

namespace qjit {

namespace {

llvm::StringRef categoryName(OpCategory category) {
  switch (category) {
  case OpCategory::ElementwiseBinary:
    return "elementwise binary";
  case OpCategory::ElementwiseUnary:
    return "elementwise unary";
  case OpCategory::Quantization:
    return "quantization";
  case OpCategory::Gradient:
    return "gradient";
  case OpCategory::Value:
    return "value";
  case OpCategory::LinearAlgebra:
    return "linear algebra";
  case OpCategory::Pooling:
    return "pooling";
  case OpCategory::Reduction:
    return "reduction";
  case OpCategory::Normalization:
    return "normalization";
  case OpCategory::Shape:
    return "shape";
  case OpCategory::Fusion:
    return "fusion";
  }
  return "?";
}

// How an attribute's value is written.
llvm::StringRef attrValueForm(AttrKind kind) {
  switch (kind) {
  case AttrKind::Int:
    return "int";
  case AttrKind::Float:
    return "float";
  case AttrKind::Bool:
    return "bool";
  case AttrKind::Enum:
    return "ident";
  case AttrKind::IntOrList:
    return "int|[int]";
  case AttrKind::FloatOrList:
    return "float|[float]";
  case AttrKind::IntList:
    return "[int]";
  case AttrKind::Numbers:
    return "number|[number]";
  }
  return "?";
}

} // namespace

void printOps(llvm::raw_ostream &os) {
  size_t nameWidth = 0, categoryWidth = 0;
  for (OpKind kind : allOpKinds()) {
    const OpInfo &info = getOpInfo(kind);
    nameWidth = std::max(nameWidth, info.name.size());
    categoryWidth = std::max(categoryWidth, categoryName(info.category).size());
  }
  for (OpKind kind : allOpKinds()) {
    const OpInfo &info = getOpInfo(kind);
    std::string operands =
        info.minOperands == info.maxOperands
            ? std::to_string(info.minOperands)
            : llvm::formatv("{0}-{1}", info.minOperands, info.maxOperands)
                  .str();
    os << llvm::left_justify(info.name, nameWidth) << "  "
       << llvm::left_justify(categoryName(info.category), categoryWidth)
       << "  operands: " << operands;
    if (!info.attributes.empty()) {
      os.indent(3 - std::min<size_t>(operands.size(), 3)) << "  attributes:";
      for (const AttrSpec &attr : info.attributes)
        os << ' ' << attr.name << '=' << attrValueForm(attr.kind);
    }
    os << '\n';
  }
}

} // namespace qjit
