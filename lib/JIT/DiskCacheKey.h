//===- DiskCacheKey.h - What names a disk compile cache entry ---*- C++ -*-===//
#ifndef QJIT_LIB_JIT_DISKCACHEKEY_H
#define QJIT_LIB_JIT_DISKCACHEKEY_H

#include "qjit/IR/DenseData.h"
#include "qjit/IR/Graph.h"
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
}

namespace qjit {

// A BLAKE3 digest: the same in every process and every run, unlike
// llvm::hash_combine (seeded per process in some builds) or
// structuralHash (built on it).
using DiskCacheKey = std::array<uint8_t, 32>;

// Bumped whenever the meaning of the key's ingredients or the entry layout
// (DiskCacheEntry.cpp) changes.
constexpr uint32_t kDiskCacheFormatVersion = 1;

// The key of `graph` compiled with `tm` and `settings` (the Jit's other
// options that change the code: opt level, default passes): the digest of
// the cache format version, the LLVM version, a hash of qjit's own sources
// (cmake/QjitSourceHash.cmake), the target triple, CPU, full feature string,
// code and relocation models, the settings, the graph's printed text and
// the bytes of its data constants. The text names data %w0, %w1, ... by
// first use and the bytes follow in that order, so graphs differing in one
// constant's bytes get different keys.
DiskCacheKey computeDiskCacheKey(const Graph &graph,
                                 const llvm::TargetMachine &tm,
                                 llvm::StringRef settings);

// The data constants of `graph` and of its fused bodies, each distinct byte
// string once, in order of first use (as the printer names them). Cache
// entries refer to the graph's data by index into this list.
std::vector<std::shared_ptr<const DenseData>> distinctData(const Graph &graph);

std::string toHex(const DiskCacheKey &key);

} // namespace qjit

#endif
