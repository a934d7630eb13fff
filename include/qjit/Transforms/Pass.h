//===- Pass.h - Transformations of modules and graphs -----------*- C++ -*-===//
#ifndef QJIT_TRANSFORMS_PASS_H
#define QJIT_TRANSFORMS_PASS_H

#include "qjit/IR/Graph.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SMLoc.h"
#include <functional>
#include <string>

namespace qjit {

// Receives a pass's remarks: what it left undone and why, at the op.
using RemarkHandler =
    std::function<void(llvm::SMLoc loc, const std::string &message)>;

// A transformation of a whole module. A pass may add or rewrite graphs; when
// it returns an error the module may be partly transformed and must not be
// used further.
class Pass {
public:
  virtual ~Pass();
  // The name used in -passes= (as in PassRegistry.def).
  virtual llvm::StringRef getName() const = 0;
  virtual llvm::Error runOnModule(Module &module) = 0;

  // Where remarks go (by default nowhere).
  void setRemarkHandler(RemarkHandler handler) {
    remarks = std::move(handler);
  }

protected:
  void remark(llvm::SMLoc loc, const std::string &message) const {
    if (remarks)
      remarks(loc, message);
  }

private:
  RemarkHandler remarks;
};

// A pass that transforms each graph on its own.
class GraphPass : public Pass {
public:
  llvm::Error runOnModule(Module &module) final;
  virtual llvm::Error runOnGraph(Graph &graph) = 0;
};

} // namespace qjit

#endif
