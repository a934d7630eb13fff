//===- OnnxModel.cpp - Reading and checking an ONNX ModelProto ------------===//
#include "OnnxModel.h"
#include "Support/MakeError.h"
#include "llvm/Support/FileSystem.h"
#include <climits>

namespace qjit::onnx_import {

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readModelFile(llvm::StringRef path, uint64_t maxBytes) {
  // Only a regular file has a size to check before reading: /dev/zero never
  // ends and a FIFO without a writer blocks forever.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return makeError("cannot read '{}': {}", path.str(), ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError("cannot read '{}': not a regular file", path.str());
  if (status.getSize() > maxBytes)
    return makeError("'{}' has {} bytes, more than the limit of {} bytes",
                     path.str(), status.getSize(), maxBytes);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("cannot read '{}': {}", path.str(),
                     buffer.getError().message());
  return std::move(*buffer);
}

llvm::Expected<std::unique_ptr<::onnx::ModelProto>>
parseModel(llvm::StringRef bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return makeError("the model has {} bytes; protobuf reads at most {}",
                     bytes.size(), INT_MAX);
  auto model = std::make_unique<::onnx::ModelProto>();
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("not a valid ONNX model (the protobuf ModelProto could "
                     "not be parsed: truncated or not an ONNX file)");
  if (!model->has_graph())
    return makeError("not a valid ONNX model: it has no graph");
  return model;
}

llvm::Expected<int64_t> defaultOpset(const ::onnx::ModelProto &model) {
  std::optional<int64_t> version;
  for (const ::onnx::OperatorSetIdProto &opset : model.opset_import()) {
    if (!isDefaultDomain(opset.domain()))
      continue; // other domains: only an error if a node uses one
    if (version && *version != opset.version())
      return makeError("the model imports the default opset twice ({} and {})",
                       *version, opset.version());
    version = opset.version();
  }
  if (!version)
    return makeError("the model imports no opset of the default domain "
                     "(ai.onnx)");
  if (*version < kMinOpset || *version > kMaxOpset)
    return makeError("opset {} of the default domain is not supported (the "
                     "importer reads opsets {} to {})",
                     *version, kMinOpset, kMaxOpset);
  return *version;
}

} // namespace qjit::onnx_import
