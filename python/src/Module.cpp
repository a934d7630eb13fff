//===- Module.cpp - The qjit extension module (qjit._qjit) ----------------===//
//
// The C++ API for Python: parsing and printing graphs, the builder, the pass
// pipeline and the JIT. qjit/__init__.py re-exports it; docs/python.md.
//
//===----------------------------------------------------------------------===//
#include "Bindings.h"

PYBIND11_MODULE(_qjit, m) {
  m.doc() = "qjit's C++ API: graphs, passes and the JIT (docs/python.md)";
  qjit::python::bindErrors(m);
  qjit::python::bindIR(m);
  qjit::python::bindBuilder(m);
  qjit::python::bindPasses(m);
  qjit::python::bindJit(m);
}
