//===- Verifier.h - Graph and op rules --------------------------*- C++ -*-===//
#ifndef QJIT_IR_VERIFIER_H
#define QJIT_IR_VERIFIER_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"

namespace qjit {

// Checks graph rules (unique ids, defined before use, outputs produced,
// annotated type and shape equal to the inferred ones) and every op's rules.
// Returns every violation joined, each a LocatedError at its op (or a plain
// error naming the op, for graphs built without locations).
llvm::Error verifyGraph(const Graph &graph);
llvm::Error verifyModule(const Module &module);

} // namespace qjit

#endif
