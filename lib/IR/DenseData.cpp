//===- DenseData.cpp ------------------------------------------------------===//
#include "qjit/IR/DenseData.h"
#include "Support/MakeError.h"
#include "qjit/Support/Npy.h"
#include "llvm/Support/xxhash.h"
#include <cstdlib>
#include <cstring>

namespace qjit {

void DenseData::FreeAligned::operator()(char *p) const { std::free(p); }

llvm::Expected<std::shared_ptr<const DenseData>>
DenseData::create(uint64_t size, llvm::function_ref<llvm::Error(char *)> fill) {
  if (size > uint64_t(kMaxTensorBytes))
    return makeError("{} bytes of data are more than a tensor may have (2^48)",
                     size);
  // aligned_alloc wants a multiple of the alignment, and never 0.
  uint64_t allocated = (size + kAlignment - 1) / kAlignment * kAlignment;
  if (!allocated)
    allocated = kAlignment;
  std::unique_ptr<char, FreeAligned> bytes(
      static_cast<char *>(std::aligned_alloc(kAlignment, allocated)));
  if (!bytes)
    return makeError("cannot allocate {} bytes of data", size);
  std::memset(bytes.get(), 0, allocated);
  if (auto err = fill(bytes.get()))
    return err;
  uint64_t hash = llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.get()), size_t(size)));
  return std::shared_ptr<const DenseData>(
      new DenseData(std::move(bytes), size, hash));
}

llvm::Expected<std::shared_ptr<const DenseData>>
DenseData::copy(llvm::StringRef source) {
  return create(source.size(), [&](char *out) {
    if (!source.empty())
      std::memcpy(out, source.data(), source.size());
    return llvm::Error::success();
  });
}

llvm::Expected<std::shared_ptr<const DenseData>>
DenseData::fromTensor(const Tensor &tensor) {
  if (!tensor.data() && tensor.sizeInBytes())
    return makeError("the tensor has no storage");
  return copy({static_cast<const char *>(tensor.data()), tensor.sizeInBytes()});
}

bool DenseData::sameBytes(const DenseData &other) const {
  if (this == &other)
    return true;
  return hash == other.hash && numBytes == other.numBytes &&
         (numBytes == 0 || std::memcmp(data(), other.data(), numBytes) == 0);
}

llvm::Expected<NpyData> readNpyData(llvm::StringRef path, uint64_t maxBytes) {
  auto array = readNpyFile(path, maxBytes);
  if (!array)
    return array.takeError();
  std::optional<DataType> dtype = dataTypeFromNpyDescr(array->descr);
  if (!dtype)
    return makeError("'{}' has dtype '{}', which no qjit type matches",
                     path.str(), array->descr);
  TensorType type{*dtype, Shape(array->shape.begin(), array->shape.end())};
  if (auto err = type.check())
    return makeError("'{}': {}", path.str(), llvm::toString(std::move(err)));
  if (type.sizeInBytes() > maxBytes)
    return makeError("'{}' has {} bytes of data, more than the limit of {}",
                     path.str(), type.sizeInBytes(), maxBytes);
  auto data = DenseData::copy({array->data.data(), array->data.size()});
  if (!data)
    return data.takeError();
  return NpyData{std::move(type), std::move(*data)};
}

} // namespace qjit
