//===- PrintOps.cpp - iropt --print-ops -----------------------------------===//
#include "PrintOps.h"
#include "qjit/IR/OpKind.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include <string>

namespace qjit {

namespace {

std::string operandCount(const OpInfo &info) {
  if (info.minOperands == info.maxOperands)
    return std::to_string(info.minOperands);
  return llvm::formatv("{0}-{1}", info.minOperands, info.maxOperands).str();
}

void printText(llvm::raw_ostream &os) {
  size_t nameWidth = 0, categoryWidth = 0;
  for (OpKind kind : allOpKinds()) {
    const OpInfo &info = getOpInfo(kind);
    nameWidth = std::max(nameWidth, info.name.size());
    categoryWidth = std::max(categoryWidth, categoryName(info.category).size());
  }
  for (OpKind kind : allOpKinds()) {
    const OpInfo &info = getOpInfo(kind);
    std::string operands = operandCount(info);
    os << llvm::left_justify(info.name, nameWidth) << "  "
       << llvm::left_justify(categoryName(info.category), categoryWidth)
       << "  operands: " << operands;
    if (!info.attributes.empty()) {
      os.indent(3 - std::min<size_t>(operands.size(), 3)) << "  attributes:";
      for (const AttrSpec &attr : info.attributes) {
        os << ' ' << attr.name << '=' << attrKindSyntax(attr.kind);
        if (attr.defaultValue)
          os << '(' << attr.defaultValue->toString() << ')';
      }
    }
    os << "  // " << info.summary << '\n';
  }
}

// The README's op table: one row per op.
void printMarkdown(llvm::raw_ostream &os) {
  os << "| op | category | operands | attributes (default) | computes |\n"
     << "|---|---|---|---|---|\n";
  for (OpKind kind : allOpKinds()) {
    const OpInfo &info = getOpInfo(kind);
    llvm::SmallVector<std::string> attrs;
    for (const AttrSpec &attr : info.attributes)
      attrs.push_back(attr.defaultValue
                          ? llvm::formatv("`{0}={1}`", attr.name,
                                          attr.defaultValue->toString())
                                .str()
                          : llvm::formatv("`{0}`", attr.name).str());
    // A '|' in a summary would end the cell.
    std::string summary = info.summary.str();
    for (size_t at = 0; (at = summary.find('|', at)) != std::string::npos;
         at += 2)
      summary.replace(at, 1, "\\|");
    if (info.has(OpTrait::FloatOnly))
      summary += " (float only)";
    os << "| `" << info.name << "` | " << categoryName(info.category) << " | "
       << operandCount(info) << " | " << llvm::join(attrs, " ") << " | "
       << summary << " |\n";
  }
}

} // namespace

void printOps(llvm::raw_ostream &os, bool markdown) {
  if (markdown)
    printMarkdown(os);
  else
    printText(os);
}

} // namespace qjit
