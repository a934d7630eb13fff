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
  // TempFile removes the file if the process dies before keep().
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(path + ".tmp-%%%%%%%%%%%%");
  if (!temp)
    return fail(toString(temp.takeError()));
  std::string contents = serializeDiskCacheEntry(key, entry);
  {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << contents;
    os.flush();
    if (os.has_error()) {
      std::string why = os.error().message();
      os.clear_error();
      consumeError(temp->discard());
      return fail(why);
    }
  }
  // An atomic rename (the temporary file is in the same directory); on
  // failure keep() removes the temporary file.
  if (Error err = temp->keep(path))
    return fail(toString(std::move(err)));
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
