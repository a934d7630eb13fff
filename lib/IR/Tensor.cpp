//===- Tensor.cpp ---------------------------------------------------------===//
#include "qjit/IR/Tensor.h"
#include <cstdlib>
#include <new>

namespace qjit {

void Tensor::FreeAligned::operator()(void *p) const { std::free(p); }

Tensor::Tensor(TensorType t) : type(std::move(t)) {
  // Round up: aligned_alloc wants a multiple of the alignment, and never 0.
  size_t bytes = (sizeInBytes() + kAlignment - 1) / kAlignment * kAlignment;
  void *p = std::aligned_alloc(kAlignment, bytes ? bytes : kAlignment);
  if (!p)
    throw std::bad_alloc();
  std::memset(p, 0, bytes ? bytes : kAlignment);
  storage.reset(p);
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
