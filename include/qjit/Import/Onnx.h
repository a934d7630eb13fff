//===- Onnx.h - Importing ONNX models ---------------------------*- C++ -*-===//
//
// Reads an ONNX model (a ModelProto, opsets 7 to 18 of the default domain)
// into a Module holding one verified graph: graph inputs that are not
// initializers become the graph's inputs (static shapes required), the
// initializers and Constant nodes become Constant ops, every node becomes the
// qjit ops that compute the same thing (docs/onnx-import.md lists each
// mapping), and the outputs keep their order. Nothing is optimized.
//
// The file is untrusted input: its size is checked before it is read, every
// shape and count is checked for overflow, and anything the importer cannot
// translate faithfully is an error such as
//   m.onnx: node 'conv1' (Conv): asymmetric pads [0, 0, 1, 1] ...
// Either the whole model is imported or an error is returned.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IMPORT_ONNX_H
#define QJIT_IMPORT_ONNX_H

#include "qjit/IR/Graph.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>

namespace qjit {

struct OnnxImportOptions {
  // The largest model file importOnnx reads (protobuf itself stops at 2 GiB).
  uint64_t maxFileBytes = uint64_t(2) << 30;
};

// Imports the model in the file at `path`. Errors start with the path.
llvm::Expected<Module> importOnnx(llvm::StringRef path,
                                  const OnnxImportOptions &options = {});

// Imports a model from its serialized bytes; errors start with `name`.
llvm::Expected<Module> importOnnxBuffer(llvm::StringRef bytes,
                                        llvm::StringRef name,
                                        const OnnxImportOptions &options = {});

} // namespace qjit

#endif
