//===- WorkspacePlanner.cpp - Offsets of intermediates --------------------===//
#include "WorkspacePlanner.h"
#include <cassert>
#include <iterator>

namespace qjit {

uint64_t WorkspacePlanner::allocate(uint64_t bytes) {
  uint64_t size = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (size == 0)
    return 0;
  for (auto it = freeBlocks.begin(); it != freeBlocks.end(); ++it) {
    auto [offset, available] = *it;
    bool atEnd = offset + available == end;
    if (available < size && !atEnd)
      continue;
    freeBlocks.erase(it);
    if (available > size)
      freeBlocks[offset + size] = available - size;
    else if (available < size)
      end = offset + size; // the last free block grows the arena
    usedBlocks[offset] = size;
    return offset;
  }
  uint64_t offset = end;
  end += size;
  usedBlocks[offset] = size;
  return offset;
}

void WorkspacePlanner::release(uint64_t offset, uint64_t bytes) {
  if (bytes == 0)
    return; // took no room
  auto used = usedBlocks.find(offset);
  assert(used != usedBlocks.end() && "releasing a block never allocated");
  uint64_t size = used->second;
  usedBlocks.erase(used);
  auto next = freeBlocks.lower_bound(offset);
  // Merge with the following free block.
  if (next != freeBlocks.end() && offset + size == next->first) {
    size += next->second;
    next = freeBlocks.erase(next);
  }
  // And with the preceding one.
  if (next != freeBlocks.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      prev->second += size;
      return;
    }
  }
  freeBlocks[offset] = size;
}

} // namespace qjit
