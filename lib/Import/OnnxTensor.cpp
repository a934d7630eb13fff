//===- OnnxTensor.cpp - ONNX element types and TensorProtos ---------------===//
#include "OnnxTensor.h"
#include "Support/MakeError.h"
#include <cstring>
#include <type_traits>

namespace qjit::onnx_import {

using ::onnx::TensorProto;

std::string onnxTypeName(int32_t type) {
  if (TensorProto::DataType_IsValid(type))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(type));
  return fmt::format("<element type {}>", type);
}

llvm::Expected<DataType> convertDataType(int32_t type, llvm::StringRef what) {
  switch (type) {
  case TensorProto::FLOAT:
    return DataType::Float32;
  case TensorProto::DOUBLE:
    return DataType::Float64;
  case TensorProto::INT8:
    return DataType::Int8;
  case TensorProto::UINT8:
    return DataType::UInt8;
  case TensorProto::INT16:
    return DataType::Int16;
  case TensorProto::INT32:
    return DataType::Int32;
  case TensorProto::INT64:
    return DataType::Int64;
  case TensorProto::BOOL:
    return DataType::Bool;
  default:
    return makeError("{} has element type {}, which qjit does not support "
                     "(it has FLOAT, DOUBLE, INT8, UINT8, INT16, INT32, INT64 "
                     "and BOOL)",
                     what.str(), onnxTypeName(type));
  }
}

llvm::Expected<Shape> convertDims(llvm::ArrayRef<int64_t> dims, DataType type,
                                  llvm::StringRef what) {
  Shape shape(dims.begin(), dims.end());
  if (llvm::Error err = checkShape(shape, int64_t(dataTypeSize(type))))
    return makeError("{}: {}", what.str(),
                     llvm::toString(std::move(err)));
  return shape;
}

namespace {

// Copies `count` typed-field values into `out` as T, each checked to be a
// value of T (int32_data holds the 8- and 16-bit types and BOOL).
template <typename T, typename Field>
llvm::Error copyTyped(const Field &field, int64_t count, void *out,
                      llvm::StringRef what) {
  if (static_cast<int64_t>(field.size()) != count)
    return makeError("{} holds {} values for {} elements", what.str(),
                     field.size(), count);
  T *dst = static_cast<T *>(out);
  for (int64_t i = 0; i < count; ++i) {
    auto v = field.Get(static_cast<int>(i));
    if constexpr (std::is_same_v<T, bool>) {
      if (v != 0 && v != 1)
        return makeError("{} holds {} at element {}, not a boolean", what.str(),
                         v, i);
    } else if constexpr (std::is_integral_v<T> &&
                         sizeof(T) < sizeof(decltype(v))) {
      if (v < std::numeric_limits<T>::min() ||
          v > std::numeric_limits<T>::max())
        return makeError("{} holds {} at element {}, outside its element type",
                         what.str(), v, i);
    }
    dst[i] = static_cast<T>(v);
  }
  return llvm::Error::success();
}

// The type of `proto`, checked against the data it holds (before anything
// is allocated: a few bytes of model cannot ask for gigabytes), and raw_data
// of Bool checked to hold only 0 and 1.
llvm::Expected<TensorType> checkedType(const TensorProto &proto,
                                       llvm::StringRef what) {
  if (proto.data_location() == TensorProto::EXTERNAL ||
      proto.external_data_size() > 0)
    return makeError("{} keeps its data in an external file, which is not "
                     "supported (save the model with its data inside)",
                     what.str());
  if (proto.has_segment())
    return makeError("{} is a segment of a tensor, which is not supported",
                     what.str());
  auto type = convertDataType(proto.data_type(), what);
  if (!type)
    return type.takeError();
  auto shape = convertDims({proto.dims().data(), size_t(proto.dims_size())},
                           *type, what);
  if (!shape)
    return shape.takeError();
  TensorType tensorType{*type, std::move(*shape)};
  if (llvm::Error err = MemoryLimits().checkTensor(tensorType, what))
    return err;
  int64_t count = tensorType.numElements();
  uint64_t bytes = tensorType.sizeInBytes();
  if (proto.has_raw_data() && proto.raw_data().size() != bytes)
    return makeError("{} has {} bytes of raw_data, but its type {} needs {}",
                     what.str(), proto.raw_data().size(),
                     tensorType.toString(), bytes);
  if (!proto.has_raw_data()) {
    int64_t held = 0;
    switch (tensorType.elementType) {
    case DataType::Float32:
      held = proto.float_data_size();
      break;
    case DataType::Float64:
      held = proto.double_data_size();
      break;
    case DataType::Int64:
      held = proto.int64_data_size();
      break;
    default:
      held = proto.int32_data_size();
      break;
    }
    if (held != count)
      return makeError("{} holds {} values for {} elements", what.str(), held,
                       count);
  }
  if (proto.has_raw_data() && tensorType.elementType == DataType::Bool) {
    const std::string &raw = proto.raw_data();
    for (uint64_t i = 0; i < bytes; ++i)
      if (raw[i] != 0 && raw[i] != 1)
        return makeError("{} holds byte {} at element {}, not a boolean",
                         what.str(), int(raw[i]), i);
  }
  return tensorType;
}

} // namespace

llvm::Expected<Tensor> convertTensor(const TensorProto &proto,
                                     llvm::StringRef what) {
  auto tensorType = checkedType(proto, what);
  if (!tensorType)
    return tensorType.takeError();
  DataType type = tensorType->elementType;
  int64_t count = tensorType->numElements();
  uint64_t bytes = tensorType->sizeInBytes();
  auto tensor = Tensor::allocate(*tensorType);
  if (!tensor)
    return tensor.takeError();
  if (proto.has_raw_data()) {
    if (bytes)
      std::memcpy(tensor->data(), proto.raw_data().data(), bytes);
    return std::move(*tensor);
  }
  void *out = tensor->data();
  llvm::Error err = llvm::Error::success();
  switch (type) {
  case DataType::Float32:
    err = copyTyped<float>(proto.float_data(), count, out, what);
    break;
  case DataType::Float64:
    err = copyTyped<double>(proto.double_data(), count, out, what);
    break;
  case DataType::Int64:
    err = copyTyped<int64_t>(proto.int64_data(), count, out, what);
    break;
  case DataType::Int32:
    err = copyTyped<int32_t>(proto.int32_data(), count, out, what);
    break;
  case DataType::Int16:
    err = copyTyped<int16_t>(proto.int32_data(), count, out, what);
    break;
  case DataType::Int8:
    err = copyTyped<int8_t>(proto.int32_data(), count, out, what);
    break;
  case DataType::UInt8:
    err = copyTyped<uint8_t>(proto.int32_data(), count, out, what);
    break;
  case DataType::Bool:
    err = copyTyped<bool>(proto.int32_data(), count, out, what);
    break;
  }
  if (err)
    return err;
  return std::move(*tensor);
}

llvm::Expected<TensorData> convertTensorData(const TensorProto &proto,
                                            llvm::StringRef what) {
  if (proto.has_raw_data()) {
    auto type = checkedType(proto, what);
    if (!type)
      return type.takeError();
    auto data = DenseData::copy(proto.raw_data());
    if (!data)
      return data.takeError();
    return TensorData{std::move(*type), std::move(*data)};
  }
  auto tensor = convertTensor(proto, what);
  if (!tensor)
    return tensor.takeError();
  auto data = DenseData::fromTensor(*tensor);
  if (!data)
    return data.takeError();
  return TensorData{tensor->getType(), std::move(*data)};
}

} // namespace qjit::onnx_import
