//===- Arrays.cpp ---------------------------------------------------------===//
#include "Arrays.h"
#include "Errors.h"
#include "LargeBuffers.h"
#include "llvm/ADT/bit.h"
#include <cstdint>

namespace py = pybind11;

namespace qjit::python {
namespace {

bool nativeByteOrder(const py::dtype &dtype) {
  char order = dtype.byteorder();
  bool little = llvm::endianness::native == llvm::endianness::little;
  return order == '=' || order == '|' || (order == '<') == little;
}

} // namespace

py::dtype numpyDType(DataType type) {
  return py::dtype(npyDescr(type).str());
}

py::tuple describeType(const TensorType &type) {
  py::tuple shape(type.shape.size());
  for (size_t i = 0; i < type.shape.size(); ++i)
    shape[i] = py::int_(type.shape[i]);
  return py::make_tuple(numpyDType(type.elementType), shape);
}

std::optional<DataType> elementTypeOf(const py::dtype &dtype) {
  size_t size = dtype.itemsize();
  switch (dtype.kind()) {
  case 'f':
    return size == 4   ? std::optional(DataType::Float32)
           : size == 8 ? std::optional(DataType::Float64)
                       : std::nullopt;
  case 'i':
    return size == 1   ? std::optional(DataType::Int8)
           : size == 2 ? std::optional(DataType::Int16)
           : size == 4 ? std::optional(DataType::Int32)
           : size == 8 ? std::optional(DataType::Int64)
                       : std::nullopt;
  case 'u':
    return size == 1 ? std::optional(DataType::UInt8) : std::nullopt;
  case 'b':
    return DataType::Bool;
  default:
    return std::nullopt;
  }
}

DataType parseElementType(py::handle spec) {
  if (py::isinstance<py::str>(spec))
    if (auto type = parseDataType(spec.cast<std::string>()))
      return *type; // qjit's own names: "Float32"
  py::dtype dtype;
  try {
    dtype = py::dtype::from_args(py::reinterpret_borrow<py::object>(spec));
  } catch (py::error_already_set &) {
    throw Error("error: " + py::repr(spec).cast<std::string>() +
                " is not a dtype");
  }
  if (auto type = elementTypeOf(dtype))
    return *type;
  throw Error("error: qjit has no element type for dtype " +
              py::str(dtype).cast<std::string>());
}

ArrayArg ArrayArg::from(py::handle object, const std::string &what) {
  ArrayArg arg;
  arg.array = py::array::ensure(object);
  if (!arg.array)
    throw Error("error: " + what + " is not an array: " +
                py::repr(object).cast<std::string>());
  std::optional<DataType> type = elementTypeOf(arg.array.dtype());
  if (!type)
    throw Error("error: " + what + " has dtype " +
                py::str(arg.array.dtype()).cast<std::string>() +
                ", which is not one of qjit's element types");
  arg.type.elementType = *type;
  arg.type.shape.assign(arg.array.shape(),
                        arg.array.shape() + arg.array.ndim());
  return arg;
}

ArrayArg ArrayArg::allocate(const TensorType &type) {
  ArrayArg arg;
  arg.type = type;
  std::vector<py::ssize_t> shape(type.shape.begin(), type.shape.end());
  size_t bytes = type.sizeInBytes();
  void *data = nullptr;
  if (bytes >= large_buffers::kMinBytes && (data = large_buffers::take(bytes))) {
    // The capsule hands the memory back when the array (or a tensor made
    // from it) is freed.
    struct Block {
      void *data;
      size_t bytes;
    };
    py::capsule owner(new Block{data, bytes}, [](void *p) {
      auto *block = static_cast<Block *>(p);
      large_buffers::give(block->data, block->bytes);
      delete block;
    });
    arg.array = py::array(numpyDType(type.elementType), shape, {}, data, owner);
  } else {
    arg.array = py::array(numpyDType(type.elementType), shape);
  }
  return arg;
}

bool ArrayArg::usable() const {
  auto address = reinterpret_cast<uintptr_t>(array.data());
  return (array.flags() & py::array::c_style) &&
         nativeByteOrder(array.dtype()) &&
         address % dataTypeSize(type.elementType) == 0;
}

void ArrayArg::prepare() {
  if (usable())
    return;
  // numpy.array(..., copy=True) makes a new, aligned, C-ordered array.
  py::module_ numpy = py::module_::import("numpy");
  array = numpy.attr("array")(array, numpyDType(type.elementType),
                              py::arg("copy") = true, py::arg("order") = "C");
}

void ArrayArg::checkWritable(const std::string &what) const {
  if (!usable() || !array.writeable())
    throw Error("error: " + what +
                " must be a writable, C-contiguous array in native byte "
                "order, aligned to its elements");
}

TensorRef ArrayArg::ref() const {
  return {type, const_cast<void *>(array.data())};
}

} // namespace qjit::python
