//===- Tensor.h - Owning and borrowed tensor buffers ------------*- C++ -*-===//
#ifndef QJIT_IR_TENSOR_H
#define QJIT_IR_TENSOR_H

#include "qjit/IR/TensorType.h"
#include "llvm/Support/Error.h"
#include <cassert>
#include <cstring>
#include <memory>
#include <type_traits>

namespace qjit {

// The C++ type of a DataType's elements.
template <typename T> constexpr std::optional<DataType> dataTypeOf() {
#define QJIT_DTYPE_OF(Name, CType, Descr)                                      \
  if constexpr (std::is_same_v<T, CType>)                                      \
    return DataType::Name;
  QJIT_DTYPES(QJIT_DTYPE_OF)
#undef QJIT_DTYPE_OF
  return std::nullopt;
}

// How much memory one run (of the JIT or the interpreter) may use, checked
// before allocating: any one tensor, and all of the run's buffers together
// (inputs, outputs, intermediate values or the JIT's workspace).
struct MemoryLimits {
  uint64_t tensorBytes = uint64_t(4) << 30; // 4 GiB
  uint64_t runBytes = uint64_t(16) << 30;   // 16 GiB

  // An error naming `what` if `type` alone is over tensorBytes.
  llvm::Error checkTensor(const TensorType &type, llvm::StringRef what) const;
  // Adds `type`'s bytes to `used` after checking both limits.
  llvm::Error reserve(const TensorType &type, llvm::StringRef what,
                      uint64_t &used) const;
};

// A borrowed buffer with its type: what CompiledGraph::run reads and writes.
struct TensorRef {
  TensorType type;
  void *data = nullptr;
};

// An owning, 64-byte aligned, zero-initialized buffer of one TensorType.
class Tensor {
public:
  static constexpr size_t kAlignment = 64;

  Tensor() = default;
  // Throws std::bad_alloc when the memory cannot be had (tests, tools);
  // libraries use allocate().
  explicit Tensor(TensorType type);
  // A zero-filled tensor, or an error when the memory cannot be had.
  static llvm::Expected<Tensor> allocate(TensorType type);
  template <typename T>
  Tensor(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<T> values)
      : Tensor(TensorType{*dataTypeOf<T>(), Shape(shape.begin(), shape.end())}) {
    assert(static_cast<int64_t>(values.size()) == type.numElements());
    if (!values.empty())
      std::memcpy(storage.get(), values.data(), values.size() * sizeof(T));
  }
  Tensor(const Tensor &other);
  Tensor &operator=(const Tensor &other);
  Tensor(Tensor &&) noexcept = default;
  Tensor &operator=(Tensor &&) noexcept = default;

  const TensorType &getType() const { return type; }
  DataType elementType() const { return type.elementType; }
  llvm::ArrayRef<int64_t> shape() const { return type.shape; }
  int64_t numElements() const { return type.numElements(); }
  size_t sizeInBytes() const { return type.sizeInBytes(); }

  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }
  TensorRef ref() { return {type, data()}; }

  template <typename T> T *as() {
    assert(dataTypeOf<T>() == type.elementType && "wrong element type");
    return static_cast<T *>(data());
  }
  template <typename T> const T *as() const {
    assert(dataTypeOf<T>() == type.elementType && "wrong element type");
    return static_cast<const T *>(data());
  }
  template <typename T> llvm::ArrayRef<T> values() const {
    return {as<T>(), static_cast<size_t>(numElements())};
  }
  template <typename T> llvm::MutableArrayRef<T> values() {
    return {as<T>(), static_cast<size_t>(numElements())};
  }

  // Byte-for-byte equality of type and contents (NaN payloads included).
  bool bitwiseEqual(const Tensor &other) const;

private:
  struct FreeAligned {
    void operator()(void *p) const;
  };
  TensorType type;
  std::unique_ptr<void, FreeAligned> storage;
};

} // namespace qjit

#endif
