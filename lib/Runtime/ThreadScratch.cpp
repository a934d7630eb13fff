//===- ThreadScratch.cpp - Per-thread scratch for parallel kernels --------===//
#include "ThreadScratch.h"
#include "RunFailure.h"
#include <cstdio>
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
  if (bytes > buffer.capacity || qjit::scratchAllocationsFailForTesting()) {
    std::free(buffer.data);
    buffer.capacity = (bytes + 63) / 64 * 64;
    buffer.data = qjit::scratchAllocationsFailForTesting()
                      ? nullptr
                      : std::aligned_alloc(64, buffer.capacity);
    if (!buffer.data) {
      buffer.capacity = 0;
      char what[96];
      std::snprintf(what, sizeof what,
                    "cannot allocate %lld bytes of per-thread scratch",
                    static_cast<long long>(bytes));
      qjit_run_failed(what);
    }
  }
  return buffer.data;
}
