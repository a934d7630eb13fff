//===- Handles.h - What the Python objects hold -----------------*- C++ -*-===//
//
// A qjit.Module owns a qjit::Module and the source buffers its locations
// point into; qjit.Graph and qjit.Value objects keep their module alive, so
// an error found later (by a pass or the JIT's verifier) is still printed
// with its line and caret.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_PYTHON_HANDLES_H
#define QJIT_PYTHON_HANDLES_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/SourceMgr.h"
#include <memory>

namespace qjit::python {

struct ModuleHandle {
  Module module;
  llvm::SourceMgr sources; // empty for modules built through the API
};

// A graph of a module. Passes add graphs and rewrite them in place but never
// remove one, so the pointer stays valid as long as the module lives.
struct GraphHandle {
  std::shared_ptr<ModuleHandle> owner;
  Graph *graph;

  Graph &get() const { return *graph; }
  llvm::SourceMgr *sources() const { return &owner->sources; }
};

// A value of a graph, as the builder hands them out.
struct ValueHandle {
  GraphHandle graph;
  ValueId id;
};

} // namespace qjit::python

#endif
