//===- Pass.h - Transformations of modules and graphs -----------*- C++ -*-===//
#ifndef QJIT_TRANSFORMS_PASS_H
#define QJIT_TRANSFORMS_PASS_H

#include "qjit/IR/Graph.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace qjit {

// A transformation of a whole module. A pass may add or rewrite graphs; when
// it returns an error the module may be partly transformed and must not be
// used further.
class Pass {
public:
  virtual ~Pass();
  // The name used in -passes= (as in PassRegistry.def).
  virtual llvm::StringRef getName() const = 0;
  virtual llvm::Error runOnModule(Module &module) = 0;
};

// A pass that transforms each graph on its own.
class GraphPass : public Pass {
public:
  llvm::Error runOnModule(Module &module) final;
  virtual llvm::Error runOnGraph(Graph &graph) = 0;
};

} // namespace qjit

#endif
