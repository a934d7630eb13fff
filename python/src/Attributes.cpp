//===- Attributes.cpp -----------------------------------------------------===//
#include "Attributes.h"
#include "Errors.h"
#include "qjit/IR/DenseData.h"
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace qjit::python {
namespace {

bool isInteger(py::handle v) {
  return !py::isinstance<py::bool_>(v) && PyIndex_Check(v.ptr());
}

bool isNumber(py::handle v) {
  return isInteger(v) || py::isinstance<py::float_>(v) ||
         (py::hasattr(v, "__float__") && !py::isinstance<py::str>(v) &&
          !py::isinstance<py::bool_>(v));
}

Attribute listAttribute(const std::string &name, py::handle value) {
  std::vector<int64_t> ints;
  std::vector<double> floats;
  bool allInts = true;
  for (py::handle item : py::iter(value)) {
    if (!isNumber(item))
      throw Error("error: attribute " + name + ": " +
                  py::repr(item).cast<std::string>() + " is not a number");
    if (allInts && isInteger(item)) {
      ints.push_back(py::int_(py::reinterpret_borrow<py::object>(item))
                         .cast<int64_t>());
    } else {
      allInts = false;
    }
    floats.push_back(py::float_(py::reinterpret_borrow<py::object>(item))
                         .cast<double>());
  }
  if (allInts)
    return Attribute(std::move(ints));
  return Attribute(std::move(floats));
}

Attribute dataAttribute(const std::string &name, py::handle value) {
  auto array = py::array::ensure(value, py::array::c_style);
  if (!array)
    throw Error("error: attribute " + name + " must be an array");
  llvm::StringRef bytes(static_cast<const char *>(array.data()),
                        array.nbytes());
  return Attribute(unwrap(DenseData::copy(bytes)));
}

} // namespace

Attribute toAttribute(OpKind kind, const std::string &name, py::handle value) {
  const AttrSpec *spec = findAttrSpec(kind, name);
  if (spec && spec->kind == AttrKind::Data)
    return dataAttribute(name, value);
  if (py::isinstance<py::bool_>(value))
    return Attribute(value.cast<bool>());
  if (py::isinstance<py::str>(value))
    return Attribute::enumValue(value.cast<std::string>());
  // Before the numbers: an array has __index__ and __float__ too.
  bool array = py::isinstance<py::array>(value);
  if ((array && value.cast<py::array>().ndim() > 0) ||
      (!array && py::isinstance<py::sequence>(value)))
    return listAttribute(name, value);
  if (isInteger(value))
    return Attribute(
        py::int_(py::reinterpret_borrow<py::object>(value)).cast<int64_t>());
  if (isNumber(value))
    return Attribute(
        py::float_(py::reinterpret_borrow<py::object>(value)).cast<double>());
  throw Error("error: attribute " + name + ": cannot use " +
              py::repr(value).cast<std::string>());
}

} // namespace qjit::python
