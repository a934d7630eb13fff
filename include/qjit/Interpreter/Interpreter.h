//===- Interpreter.h - The reference evaluator ------------------*- C++ -*-===//
//
// A plain, obviously correct evaluation of every op, element by element, in
// the element type: the oracle the JIT is tested against. Speed is not a goal.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_INTERPRETER_INTERPRETER_H
#define QJIT_INTERPRETER_INTERPRETER_H

#include "qjit/IR/Graph.h"
#include "qjit/IR/Tensor.h"
#include "llvm/Support/Error.h"
#include <vector>

namespace qjit {

// Evaluates a verified graph on `inputs` (types must equal the graph's
// inputs; an error says which does not) and returns its outputs in order.
// Every value is kept until the end; their bytes and the inputs' together
// must stay within `limits.runBytes` (checked before each op allocates).
llvm::Expected<std::vector<Tensor>>
interpret(const Graph &graph, llvm::ArrayRef<Tensor> inputs,
          const MemoryLimits &limits = {});

} // namespace qjit

#endif
