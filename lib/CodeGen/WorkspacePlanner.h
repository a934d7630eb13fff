//===- WorkspacePlanner.h - Offsets of intermediates ------------*- C++ -*-===//
#ifndef QJIT_LIB_CODEGEN_WORKSPACEPLANNER_H
#define QJIT_LIB_CODEGEN_WORKSPACEPLANNER_H

#include <cstdint>
#include <map>

namespace qjit {

// First-fit allocation of 64-byte aligned blocks in one arena: released
// blocks are reused by later values, so the workspace holds the live values
// of the widest point of the graph rather than every value.
class WorkspacePlanner {
public:
  static constexpr uint64_t kAlignment = 64;

  // The offset of a new block of `bytes` (a zero-byte block takes no room).
  uint64_t allocate(uint64_t bytes);
  // Frees the block allocate(bytes) returned as `offset`.
  void release(uint64_t offset, uint64_t bytes);
  // The arena's size: the workspace bytes the graph needs.
  uint64_t size() const { return end; }

private:
  std::map<uint64_t, uint64_t> freeBlocks; // offset -> bytes, coalesced
  std::map<uint64_t, uint64_t> usedBlocks; // offset -> bytes
  uint64_t end = 0;
};

} // namespace qjit

#endif
