//===- LargeBuffers.h - Memory for large output arrays ----------*- C++ -*-===//
//
// A fresh 64 MB array costs its pages on first write: 16K page faults, or
// 32 with transparent huge pages plus the kernel zeroing them, which is
// longer than fake-quantizing 16M floats. Outputs of kMinBytes and more
// therefore get mappings of their own (huge pages requested), and a mapping
// whose array is freed is kept, up to kCachedBytes in all, for the next
// output of the same size: a loop that makes and drops a result of the same
// shape on every call reuses pages that are already there.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_PYTHON_LARGEBUFFERS_H
#define QJIT_PYTHON_LARGEBUFFERS_H

#include <cstddef>

namespace qjit::python::large_buffers {

constexpr size_t kMinBytes = size_t(4) << 20;
constexpr size_t kCachedBytes = size_t(512) << 20;

// `bytes` of writable memory (contents undefined), or nullptr.
void *take(size_t bytes);
// Returns memory from take(): kept for a later take(bytes), or unmapped.
void give(void *data, size_t bytes);
// Unmaps every kept mapping; returns how many bytes they held.
size_t clear();

} // namespace qjit::python::large_buffers

#endif
