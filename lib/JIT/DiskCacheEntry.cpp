//===- DiskCacheEntry.cpp -------------------------------------------------===//
#include "DiskCacheEntry.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/DataExtractor.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {

namespace {

constexpr char kMagic[8] = {'q', 'j', 'i', 't', 'o', 'b', 'j', '\0'};
constexpr size_t kChecksumSize = 32;
constexpr size_t kHeaderSize = sizeof kMagic + 4 + 4 + 8 + kChecksumSize;

using Checksum = std::array<uint8_t, kChecksumSize>;

Checksum checksumOf(StringRef payload) {
  BLAKE3 hasher;
  hasher.update(payload);
  return hasher.final();
}

void writeString(support::endian::Writer &out, StringRef bytes) {
  out.write<uint64_t>(bytes.size());
  out.OS << bytes;
}

} // namespace

std::string serializeDiskCacheEntry(const DiskCacheKey &key,
                                    const DiskCacheEntry &entry) {
  std::string payload;
  {
    raw_string_ostream os(payload);
    support::endian::Writer out(os, endianness::little);
    os.write(reinterpret_cast<const char *>(key.data()), key.size());
    writeString(out, entry.entryName);
    out.write<uint64_t>(entry.workspaceSize);
    out.write<uint8_t>(entry.usesThreads);
    out.write<uint64_t>(entry.data.size());
    for (const DiskCacheEntry::DataSlot &slot : entry.data) {
      out.write<uint8_t>(slot.inGraph ? 0 : 1);
      if (slot.inGraph) {
        out.write<uint64_t>(slot.graphIndex);
        out.write<uint64_t>(slot.size);
        out.write<uint64_t>(slot.contentHash);
      } else {
        writeString(out, slot.bytes);
      }
    }
    out.write<uint64_t>(entry.objects.size());
    for (StringRef object : entry.objects)
      writeString(out, object);
  }

  std::string file;
  file.reserve(kHeaderSize + payload.size());
  raw_string_ostream os(file);
  support::endian::Writer out(os, endianness::little);
  os.write(kMagic, sizeof kMagic);
  out.write<uint32_t>(kDiskCacheFormatVersion);
  out.write<uint32_t>(0);
  out.write<uint64_t>(payload.size());
  Checksum checksum = checksumOf(payload);
  os.write(reinterpret_cast<const char *>(checksum.data()), checksum.size());
  os << payload;
  return file;
}

Expected<DiskCacheEntry> parseDiskCacheEntry(StringRef file,
                                             const DiskCacheKey &key) {
  if (file.size() < kHeaderSize)
    return makeError("truncated: {} bytes, less than the {}-byte header",
                     file.size(), kHeaderSize);
  if (std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    return makeError("not a qjit cache entry (wrong magic)");
  DataExtractor header(file.take_front(kHeaderSize), /*IsLittleEndian=*/true,
                       /*AddressSize=*/8);
  DataExtractor::Cursor at(sizeof kMagic);
  uint32_t version = header.getU32(at);
  header.getU32(at); // reserved
  uint64_t length = header.getU64(at);
  StringRef stored = header.getBytes(at, kChecksumSize);
  if (Error err = at.takeError())
    return err;
  if (version != kDiskCacheFormatVersion)
    return makeError("format version {}, this qjit reads {}", version,
                     kDiskCacheFormatVersion);
  StringRef payload = file.drop_front(kHeaderSize);
  if (payload.size() != length)
    return makeError("{}: the header says {} payload bytes, the file has {}",
                     payload.size() < length ? "truncated" : "too long", length,
                     payload.size());
  Checksum checksum = checksumOf(payload);
  if (stored != StringRef(reinterpret_cast<const char *>(checksum.data()),
                          checksum.size()))
    return makeError("corrupt: the payload's checksum does not match");

  DataExtractor in(payload, /*IsLittleEndian=*/true, /*AddressSize=*/8);
  DataExtractor::Cursor c(0);
  auto readBytes = [&] { return in.getBytes(c, in.getU64(c)); };
  StringRef writtenFor = in.getBytes(c, key.size());
  DiskCacheEntry entry;
  entry.entryName = readBytes().str();
  entry.workspaceSize = in.getU64(c);
  entry.usesThreads = in.getU8(c) != 0;
  uint64_t slots = in.getU64(c);
  // Each slot takes at least 9 bytes: a count beyond that is corrupt, and
  // must not make a huge allocation.
  if (c && slots > payload.size() / 9)
    return makeError("corrupt: {} data slots in {} bytes", slots,
                     payload.size());
  for (uint64_t i = 0; c && i < slots; ++i) {
    DiskCacheEntry::DataSlot slot;
    uint8_t kind = in.getU8(c);
    if (c && kind > 1)
      return makeError("corrupt: data slot kind {}", kind);
    slot.inGraph = kind == 0;
    if (slot.inGraph) {
      slot.graphIndex = in.getU64(c);
      slot.size = in.getU64(c);
      slot.contentHash = in.getU64(c);
    } else {
      slot.bytes = readBytes();
      slot.size = slot.bytes.size();
    }
    entry.data.push_back(std::move(slot));
  }
  uint64_t objects = in.getU64(c);
  if (c && objects > payload.size() / 8)
    return makeError("corrupt: {} objects in {} bytes", objects,
                     payload.size());
  for (uint64_t i = 0; c && i < objects; ++i)
    entry.objects.push_back(readBytes());
  if (Error err = c.takeError())
    return makeError("corrupt: {}", toString(std::move(err)));
  if (c.tell() != payload.size())
    return makeError("corrupt: {} bytes after the last object",
                     payload.size() - c.tell());
  if (writtenFor !=
      StringRef(reinterpret_cast<const char *>(key.data()), key.size()))
    return makeError("written for another key");
  return entry;
}

} // namespace qjit
