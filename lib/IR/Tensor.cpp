//===- Tensor.cpp ---------------------------------------------------------===//
#include "qjit/IR/Tensor.h"
#include "Support/MakeError.h"
#include <algorithm>
#include <cstdlib>
#include <new>

namespace qjit {

void Tensor::FreeAligned::operator()(void *p) const { std::free(p); }

llvm::Expected<Tensor> Tensor::allocate(TensorType type) {
  if (auto err = type.check())
    return err;
  // Round up: aligned_alloc wants a multiple of the alignment, and never 0.
  size_t bytes = (type.sizeInBytes() + kAlignment - 1) / kAlignment * kAlignment;
  if (!bytes)
    bytes = kAlignment;
  void *p = std::aligned_alloc(kAlignment, bytes);
  if (!p)
    return makeError("cannot allocate {} bytes for a {} tensor", bytes,
                     type.toString());
  std::memset(p, 0, bytes);
  Tensor t;
  t.type = std::move(type);
  t.storage.reset(p);
  return t;
}

Tensor::Tensor(TensorType t) {
  auto allocated = allocate(std::move(t));
  if (!allocated) {
    llvm::consumeError(allocated.takeError());
    throw std::bad_alloc();
  }
  *this = std::move(*allocated);
}

llvm::Error MemoryLimits::checkTensor(const TensorType &type,
                                      llvm::StringRef what) const {
  if (auto err = type.check())
    return makeError("{}: {}", what.str(), llvm::toString(std::move(err)));
  if (type.sizeInBytes() > tensorBytes)
    return makeError("{} ({}) needs {} bytes, more than the limit of {} bytes "
                     "for one tensor",
                     what.str(), type.toString(), type.sizeInBytes(),
                     tensorBytes);
  return llvm::Error::success();
}

llvm::Error MemoryLimits::reserve(const TensorType &type, llvm::StringRef what,
                                  uint64_t &used) const {
  if (auto err = checkTensor(type, what))
    return err;
  if (type.sizeInBytes() > runBytes - std::min(used, runBytes))
    return makeError("{} ({}) would bring the run to {} bytes, more than its "
                     "limit of {} bytes",
                     what.str(), type.toString(), used + type.sizeInBytes(),
                     runBytes);
  used += type.sizeInBytes();
  return llvm::Error::success();
}

Tensor::Tensor(const Tensor &other) : Tensor(other.type) {
  if (other.storage)
    std::memcpy(data(), other.data(), sizeInBytes());
}

Tensor &Tensor::operator=(const Tensor &other) {
  if (this != &other)
    *this = Tensor(other);
  return *this;
}

bool Tensor::bitwiseEqual(const Tensor &other) const {
  return type == other.type &&
         (sizeInBytes() == 0 ||
          std::memcmp(data(), other.data(), sizeInBytes()) == 0);
}

} // namespace qjit
