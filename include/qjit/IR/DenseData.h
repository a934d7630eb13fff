//===- DenseData.h - The bytes of a data constant ---------------*- C++ -*-===//
//
// A Constant op holds its elements either as numbers in its `values`
// attribute (small tensors, splats) or as bytes in its `data` attribute: a
// DenseData, immutable and shared (std::shared_ptr) by every copy of the op,
// every graph copied from it and every CompiledGraph made from it. The bytes
// are the tensor's elements in C order, little-endian, 64-byte aligned. The
// xxh3 hash of the bytes is computed once, when the data is made, so the
// structural hash and cse look at a data constant in O(1).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_DENSEDATA_H
#define QJIT_IR_DENSEDATA_H

#include "qjit/IR/Tensor.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <memory>

namespace qjit {

class DenseData {
public:
  static constexpr size_t kAlignment = 64;

  // A copy of `bytes`.
  static llvm::Expected<std::shared_ptr<const DenseData>>
  copy(llvm::StringRef bytes);
  // A copy of a tensor's bytes.
  static llvm::Expected<std::shared_ptr<const DenseData>>
  fromTensor(const Tensor &tensor);
  // `size` bytes written by `fill` (given the zero-filled buffer), for
  // makers that decode into place. `fill` returning an error drops the data.
  static llvm::Expected<std::shared_ptr<const DenseData>>
  create(uint64_t size, llvm::function_ref<llvm::Error(char *)> fill);

  const char *data() const { return bytes.get(); }
  uint64_t size() const { return numBytes; }
  llvm::StringRef getBytes() const { return {data(), size_t(numBytes)}; }
  // llvm::xxh3_64bits of the bytes.
  uint64_t contentHash() const { return hash; }
  // The same bytes (the same object, or equal hashes, sizes and bytes).
  bool sameBytes(const DenseData &other) const;

private:
  struct FreeAligned {
    void operator()(char *p) const;
  };
  DenseData(std::unique_ptr<char, FreeAligned> bytes, uint64_t size,
            uint64_t hash)
      : bytes(std::move(bytes)), numBytes(size), hash(hash) {}

  std::unique_ptr<char, FreeAligned> bytes;
  uint64_t numBytes;
  uint64_t hash;
};

// A tensor read from a .npy file for a data constant: its type (from the
// file's dtype and shape) and bytes. The file may hold at most `maxBytes`
// of data (checked before it is read); its dtype must be one of qjit's.
struct NpyData {
  TensorType type;
  std::shared_ptr<const DenseData> data;
};
llvm::Expected<NpyData>
readNpyData(llvm::StringRef path,
            uint64_t maxBytes = MemoryLimits().tensorBytes);

} // namespace qjit

#endif
