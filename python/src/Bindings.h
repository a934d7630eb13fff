//===- Bindings.h - The parts of the qjit module ----------------*- C++ -*-===//
#ifndef QJIT_PYTHON_BINDINGS_H
#define QJIT_PYTHON_BINDINGS_H

#include <pybind11/pybind11.h>

namespace qjit::python {

// Each adds its classes and functions to the module (Module.cpp calls them
// in this order: later parts use the earlier parts' classes).
void bindErrors(pybind11::module_ &m);      // Errors.cpp: qjit.Error
void bindIR(pybind11::module_ &m);          // IR.cpp: parse, Module, Graph
void bindBuilder(pybind11::module_ &m);     // Builder.cpp: Builder, Value
void bindPasses(pybind11::module_ &m);      // Passes.cpp: qjit.passes
void bindJit(pybind11::module_ &m);         // Jit.cpp: Jit, Function

} // namespace qjit::python

#endif
