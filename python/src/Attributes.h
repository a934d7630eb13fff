//===- Attributes.h - Python values as op attributes ------------*- C++ -*-===//
#ifndef QJIT_PYTHON_ATTRIBUTES_H
#define QJIT_PYTHON_ATTRIBUTES_H

#include "qjit/IR/Attribute.h"
#include "qjit/IR/OpKind.h"
#include <pybind11/pybind11.h>

namespace qjit::python {

// The attribute `name` of an op of `kind` from a Python value: bool, int
// (numpy integers too), float, str (an enum: gradient="clipped"), a sequence
// or 1-D array of numbers (a list), or an array for a Data attribute. The
// Builder then checks it against Ops.def (scale=1 becomes 1.0, an unknown
// name is an error there).
Attribute toAttribute(OpKind kind, const std::string &name,
                      pybind11::handle value);

} // namespace qjit::python

#endif
