//===- DiskCache.cpp ------------------------------------------------------===//
#include "DiskCache.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <fmt/format.h>

using namespace llvm;

namespace qjit {

std::string DiskCache::pathOf(const DiskCacheKey &key) const {
  SmallString<256> path(directory);
  sys::path::append(path, toHex(key) + ".qjitobj");
  return std::string(path);
}

std::optional<DiskCache::Loaded> DiskCache::load(const DiskCacheKey &key) {
  std::string path = pathOf(key);
  // Read, not mapped: a file truncated under a mapping (by a tool that
  // writes in place, not by qjit) would kill the process with SIGBUS.
  // (LLVM maps a volatile file unless it also asks for a terminator.)
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/true,
                            /*IsVolatile=*/true);
  if (!file)
    return std::nullopt; // no entry (or none readable): a plain miss
  Expected<DiskCacheEntry> entry =
      parseDiskCacheEntry((*file)->getBuffer(), key);
  if (!entry) {
    noteRejected(key, toString(entry.takeError()));
    return std::nullopt;
  }
  return Loaded{std::move(*file), std::move(*entry)};
}

void DiskCache::store(const DiskCacheKey &key, const DiskCacheEntry &entry) {
  std::string path = pathOf(key);
  auto fail = [&](const Twine &why) { noteWriteFailure(key, why.str()); };
  if (std::error_code ec = sys::fs::create_directories(directory))
    return fail(ec.message());
  // A unique file beside the entry, then an atomic rename. Not
  // sys::fs::TempFile: it registers LLVM's signal handlers (to remove the
  // file on a crash), which a library must not install in its caller's
  // process from whatever thread compiles, and whose alternate signal stack
  // on a worker thread makes ASan abort when the thread exits.
  int fd = -1;
  SmallString<256> tempPath;
  if (std::error_code ec = sys::fs::createUniqueFile(
          path + ".tmp-%%%%%%%%%%%%", fd, tempPath))
    return fail(ec.message());
  std::string contents = serializeDiskCacheEntry(key, entry);
  std::string why;
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << contents;
    os.close();
    if (os.has_error()) {
      why = os.error().message();
      os.clear_error();
    }
  }
  if (why.empty())
    if (std::error_code ec = sys::fs::rename(tempPath, path))
      why = ec.message();
  if (!why.empty()) {
    sys::fs::remove(tempPath);
    return fail(why);
  }
}

void DiskCache::noteHit() {
  std::lock_guard<std::mutex> lock(mutex);
  ++stats.hits;
}

void DiskCache::noteMiss() {
  std::lock_guard<std::mutex> lock(mutex);
  ++stats.misses;
}

void DiskCache::noteWriteFailure(const DiskCacheKey &key, StringRef why) {
  std::lock_guard<std::mutex> lock(mutex);
  ++stats.writeFailures;
  stats.lastProblem =
      fmt::format("cannot write {}: {}", pathOf(key), why.str());
}

void DiskCache::noteRejected(const DiskCacheKey &key, StringRef why) {
  std::lock_guard<std::mutex> lock(mutex);
  ++stats.rejected;
  stats.lastProblem =
      fmt::format("ignored {}: {}; recompiled", pathOf(key), why.str());
}

DiskCacheStats DiskCache::getStats() const {
  std::lock_guard<std::mutex> lock(mutex);
  return stats;
}

} // namespace qjit
