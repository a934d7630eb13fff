//===- LargeBuffers.cpp ---------------------------------------------------===//
#include "LargeBuffers.h"
#include <deque>
#include <mutex>
#include <vector>
#include <sys/mman.h>

namespace qjit::python::large_buffers {
namespace {

struct Mapping {
  void *data;
  size_t bytes;
};

std::mutex mutex;
std::deque<Mapping> cache; // oldest first
size_t cachedBytes = 0;

} // namespace

void *take(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = cache.rbegin(); it != cache.rend(); ++it) {
      if (it->bytes == bytes) {
        void *data = it->data;
        cachedBytes -= bytes;
        cache.erase(std::next(it).base());
        return data;
      }
    }
  }
  void *data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED)
    return nullptr;
  madvise(data, bytes, MADV_HUGEPAGE); // a request; small pages otherwise
  return data;
}

void give(void *data, size_t bytes) {
  std::vector<Mapping> unmap;
  {
    std::lock_guard<std::mutex> lock(mutex);
    cache.push_back({data, bytes});
    cachedBytes += bytes;
    while (cachedBytes > kCachedBytes) {
      unmap.push_back(cache.front());
      cachedBytes -= cache.front().bytes;
      cache.pop_front();
    }
  }
  for (const Mapping &m : unmap)
    munmap(m.data, m.bytes);
}

size_t clear() {
  std::deque<Mapping> unmap;
  {
    std::lock_guard<std::mutex> lock(mutex);
    unmap.swap(cache);
    cachedBytes = 0;
  }
  size_t bytes = 0;
  for (const Mapping &m : unmap) {
    munmap(m.data, m.bytes);
    bytes += m.bytes;
  }
  return bytes;
}

} // namespace qjit::python::large_buffers
