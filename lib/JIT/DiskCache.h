//===- DiskCache.h - A directory of compiled graphs -------------*- C++ -*-===//
//
// One file per key, <directory>/<64 hex digits>.qjitobj. Writers make a
// unique temporary file in the directory and rename it over the entry, so a
// reader sees a whole entry or none, and processes writing one key at once
// each install a complete file (the last rename wins). Nothing is locked
// and nothing is ever evicted.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_JIT_DISKCACHE_H
#define QJIT_LIB_JIT_DISKCACHE_H

#include "DiskCacheEntry.h"
#include "qjit/JIT/Jit.h"
#include "llvm/Support/MemoryBuffer.h"
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace qjit {

class DiskCache {
public:
  explicit DiskCache(std::string directory) : directory(std::move(directory)) {}

  const std::string &getDirectory() const { return directory; }
  std::string pathOf(const DiskCacheKey &key) const;

  struct Loaded {
    std::unique_ptr<llvm::MemoryBuffer> file; // the entry's bytes
    DiskCacheEntry entry;
  };
  // The entry for `key`; nothing if there is none, or if the file is
  // unusable (then counted as rejected, with the reason).
  std::optional<Loaded> load(const DiskCacheKey &key);
  // Writes the entry (creating the directory if needed). A failure is
  // counted and described, not returned: the compile it follows succeeded.
  void store(const DiskCacheKey &key, const DiskCacheEntry &entry);

  void noteHit();
  void noteMiss();
  // An entry that parsed but cannot be used for its graph.
  void noteRejected(const DiskCacheKey &key, llvm::StringRef why);
  void noteWriteFailure(const DiskCacheKey &key, llvm::StringRef why);
  DiskCacheStats getStats() const;

private:
  std::string directory;
  mutable std::mutex mutex; // guards stats
  DiskCacheStats stats;
};

} // namespace qjit

#endif
