//===- OnnxTensor.h - ONNX element types and TensorProtos -------*- C++ -*-===//
//
// Internal to the ONNX importer: ONNX's element types as qjit DataTypes and
// TensorProtos (initializers, Constant values) as Tensors, checked as
// untrusted input (dims, counts, raw_data sizes; external data refused).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_IMPORT_ONNXTENSOR_H
#define QJIT_LIB_IMPORT_ONNXTENSOR_H

#include "qjit/IR/DenseData.h"
#include "qjit/IR/Tensor.h"
#include "llvm/Support/Error.h"
#include <onnx/onnx_pb.h>
#include <memory>
#include <string>

namespace qjit::onnx_import {

// ONNX's name of an element type ("FLOAT16"), or its number if unknown.
std::string onnxTypeName(int32_t type);

// The DataType of ONNX element type `type`; an error naming `what` (e.g.
// "tensor 'w'") for the types qjit does not have.
llvm::Expected<DataType> convertDataType(int32_t type, llvm::StringRef what);

// A checked shape from ONNX dims: none negative, within kMaxTensorBytes.
llvm::Expected<Shape> convertDims(llvm::ArrayRef<int64_t> dims, DataType type,
                                  llvm::StringRef what);

// The elements of `proto`, from raw_data or its typed fields.
llvm::Expected<Tensor> convertTensor(const ::onnx::TensorProto &proto,
                                     llvm::StringRef what);

// The same as a Constant's data: raw_data is copied once, straight into it
// (a ResNet's initializers hold tens of megabytes).
struct TensorData {
  TensorType type;
  std::shared_ptr<const DenseData> data;
};
llvm::Expected<TensorData> convertTensorData(const ::onnx::TensorProto &proto,
                                             llvm::StringRef what);

} // namespace qjit::onnx_import

#endif
