//===- OnnxModel.h - Reading and checking an ONNX ModelProto ----*- C++ -*-===//
//
// Internal to the ONNX importer: the file's bytes (read safely), the parsed
// ModelProto, and the opset of the default domain the nodes are read with.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_IMPORT_ONNXMODEL_H
#define QJIT_LIB_IMPORT_ONNXMODEL_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <memory>
#include <onnx/onnx_pb.h>

namespace qjit::onnx_import {

// The opsets of the default domain ("" or "ai.onnx") the importer reads.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 18;

// The bytes of a regular file of at most `maxBytes` bytes.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readModelFile(llvm::StringRef path, uint64_t maxBytes);

// Parses a serialized ModelProto that has a graph.
llvm::Expected<std::unique_ptr<::onnx::ModelProto>>
parseModel(llvm::StringRef bytes);

// The default domain's opset version, checked to be in [kMinOpset,
// kMaxOpset]; nodes of other domains are the node translation's errors.
llvm::Expected<int64_t> defaultOpset(const ::onnx::ModelProto &model);

// Whether `domain` names the default operator set.
inline bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

} // namespace qjit::onnx_import

#endif
