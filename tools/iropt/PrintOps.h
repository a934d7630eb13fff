//===- PrintOps.h - iropt --print-ops ---------------------------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_PRINTOPS_H
#define QJIT_TOOLS_IROPT_PRINTOPS_H

#include "llvm/Support/raw_ostream.h"

namespace qjit {

// One line per op of Ops.def: name, category, operand count, attributes
// with the kind of value each takes and its default, and the summary; or,
// with `markdown`, the README's op table.
void printOps(llvm::raw_ostream &os, bool markdown = false);

} // namespace qjit

#endif
