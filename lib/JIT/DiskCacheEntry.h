//===- DiskCacheEntry.h - One file of the disk compile cache ----*- C++ -*-===//
//
// An entry holds what Jit::compile needs to make a CompiledGraph without
// lowering or optimizing: the object files ORC compiled and the facts the
// lowering reported. On disk (all integers little-endian):
//
//   header   "qjitobj\0"  the magic, 8 bytes
//            u32          kDiskCacheFormatVersion
//            u32          0 (reserved)
//            u64          payload length in bytes
//            32 bytes     BLAKE3 of the payload
//   payload  32 bytes     the key (DiskCacheKey.h) the entry was written for
//            u64 + bytes  the entry symbol's name
//            u64          workspace size in bytes
//            u8           whether the code calls the parallel runtime
//            u64          number of data slots, then per slot:
//              u8 0, u64 index, u64 size, u64 xxh3: the graph's data
//                  constant distinctData(graph)[index] (size and xxh3 checked)
//              u8 1, u64 size + bytes: bytes made by the lowering (packed
//                  weights), which the graph does not hold
//            u64          number of object files, then per object u64 + bytes
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_JIT_DISKCACHEENTRY_H
#define QJIT_LIB_JIT_DISKCACHEENTRY_H

#include "DiskCacheKey.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace qjit {

// The bytes (objects, stored data) are views: into the file an entry was
// parsed from, or into the buffers it is written from, which must outlive
// it. Several megabytes of packed weights are not copied once more.
struct DiskCacheEntry {
  // One buffer the code reads after the workspace (CodeGen.h).
  struct DataSlot {
    bool inGraph = true;
    uint64_t graphIndex = 0; // into distinctData(graph), if inGraph
    uint64_t size = 0;
    uint64_t contentHash = 0; // DenseData::contentHash, if inGraph
    llvm::StringRef bytes;    // unless inGraph
  };

  std::string entryName;
  uint64_t workspaceSize = 0;
  bool usesThreads = false;
  std::vector<DataSlot> data;
  std::vector<llvm::StringRef> objects; // relocatable object files
};

// The file contents of `entry`, written for `key`.
std::string serializeDiskCacheEntry(const DiskCacheKey &key,
                                    const DiskCacheEntry &entry);

// Reads a file written by serializeDiskCacheEntry for `key` (the entry's
// bytes point into `file`). A wrong magic,
// version, length, checksum or key, or a payload that does not parse, is an
// error saying which.
llvm::Expected<DiskCacheEntry> parseDiskCacheEntry(llvm::StringRef file,
                                                   const DiskCacheKey &key);

} // namespace qjit

#endif
