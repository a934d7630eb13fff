//===- PrintOps.h - iropt --print-ops ---------------------------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_PRINTOPS_H
#define QJIT_TOOLS_IROPT_PRINTOPS_H

#include "llvm/Support/raw_ostream.h"

namespace qjit {

// One line per op of Ops.def: name, category, operand count and attributes
// with the kind of value each takes.
void printOps(llvm::raw_ostream &os);

} // namespace qjit

#endif
