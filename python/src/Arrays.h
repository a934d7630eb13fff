//===- Arrays.h - NumPy arrays as qjit buffers ------------------*- C++ -*-===//
//
// A NumPy array is passed to compiled code without a copy when it is
// C-contiguous, in native byte order and aligned to its element size (all
// CompiledGraph::run asks; NumPy's own arrays always are); otherwise it is
// copied into a fresh array first. Its dtype must be the graph's: nothing is
// converted.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_PYTHON_ARRAYS_H
#define QJIT_PYTHON_ARRAYS_H

#include "qjit/IR/Tensor.h"
#include <optional>
#include <pybind11/numpy.h>
#include <string>

namespace qjit::python {

// The NumPy dtype of a qjit element type (Bool is numpy.bool_).
pybind11::dtype numpyDType(DataType type);
// The element type of a NumPy dtype of either byte order, or nullopt.
std::optional<DataType> elementTypeOf(const pybind11::dtype &dtype);
// (dtype, shape) of a type, as the Python side describes types.
pybind11::tuple describeType(const TensorType &type);
// A dtype given as a NumPy dtype, a type object (numpy.float32) or a name
// ("float32", or qjit's "Float32").
DataType parseElementType(pybind11::handle spec);

// An argument of a compiled graph: its type, and the array that holds its
// bytes once prepare() has made it usable (the argument or a copy).
struct ArrayArg {
  pybind11::array array;
  TensorType type;

  // `object` as an array (anything numpy.asarray takes); `what` ("input 0
  // of graph @f") names it in errors.
  static ArrayArg from(pybind11::handle object, const std::string &what);
  // A new, uninitialized array of `type` (large ones: LargeBuffers.h).
  static ArrayArg allocate(const TensorType &type);
  // Whether the bytes can be used as they are.
  bool usable() const;
  // Copies the array when it is not usable.
  void prepare();
  // Throws unless the array is usable and writable (an output given by the
  // caller, which is never copied).
  void checkWritable(const std::string &what) const;
  TensorRef ref() const;
};

} // namespace qjit::python

#endif
