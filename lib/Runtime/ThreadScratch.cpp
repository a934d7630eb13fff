//===- ThreadScratch.cpp - Per-thread scratch for parallel kernels --------===//
#include "ThreadScratch.h"
#include <cstdlib>

namespace {

struct Buffer {
  void *data = nullptr;
  int64_t capacity = 0;
  ~Buffer() { std::free(data); }
};

thread_local Buffer buffer;

} // namespace

extern "C" void *qjit_thread_scratch(int64_t bytes) {
  if (bytes > buffer.capacity) {
    std::free(buffer.data);
    buffer.capacity = (bytes + 63) / 64 * 64;
    buffer.data = std::aligned_alloc(64, buffer.capacity);
    if (!buffer.data)
      std::abort();
  }
  return buffer.data;
}
