//===- Printer.h - The canonical .qir text form -----------------*- C++ -*-===//
#ifndef QJIT_IR_PRINTER_H
#define QJIT_IR_PRINTER_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/raw_ostream.h"

namespace qjit {

// One op; a FusedElementwise op's body follows on the next lines, each
// indented by `indent` + 2 spaces, and its closing '}' by `indent`.
void printOp(llvm::raw_ostream &os, const Graph &graph, const Operation &op,
             unsigned indent = 0);
void printGraph(llvm::raw_ostream &os, const Graph &graph);
// Graphs separated by a blank line.
void printModule(llvm::raw_ostream &os, const Module &module);

} // namespace qjit

#endif
