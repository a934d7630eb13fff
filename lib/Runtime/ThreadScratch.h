//===- ThreadScratch.h - Per-thread scratch for parallel kernels -*- C++ -*-===//
#ifndef QJIT_LIB_RUNTIME_THREADSCRATCH_H
#define QJIT_LIB_RUNTIME_THREADSCRATCH_H

#include <cstdint>

extern "C" {
// A 64-byte aligned buffer of at least `bytes` bytes that belongs to the
// calling thread until its next call (a chunk of a parallel kernel's, e.g.
// a float convolution's im2col band). Kept and grown per thread. When it
// cannot be allocated, fails the run (RunFailure.h) and returns null: the
// caller skips its work.
void *qjit_thread_scratch(int64_t bytes);
}

#endif
