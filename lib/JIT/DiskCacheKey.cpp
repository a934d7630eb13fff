//===- DiskCacheKey.cpp ---------------------------------------------------===//
#include "DiskCacheKey.h"
#include "QjitSourceHash.h" // generated: QJIT_SOURCE_HASH
#include "qjit/IR/Printer.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include <unordered_map>

namespace qjit {

namespace {

// A stream whose bytes go into a BLAKE3 hasher rather than memory.
class HashingStream : public llvm::raw_ostream {
public:
  explicit HashingStream(llvm::BLAKE3 &hasher) : hasher(hasher) {
    SetBufferSize(1 << 14);
  }
  ~HashingStream() override { flush(); }

private:
  void write_impl(const char *ptr, size_t size) override {
    hasher.update(llvm::StringRef(ptr, size));
    written += size;
  }
  uint64_t current_pos() const override { return written; }

  llvm::BLAKE3 &hasher;
  uint64_t written = 0;
};

// Calls `fn` on every data attribute's bytes in the order printOp meets
// them: ops in order, an op's attributes before its body's ops.
void forEachData(
    const Graph &graph,
    llvm::function_ref<void(const std::shared_ptr<const DenseData> &)> fn) {
  for (const Operation &op : graph.getOps()) {
    for (const NamedAttribute &attr : op.getAttrs())
      if (attr.value.isData())
        fn(attr.value.getData());
    if (const Graph *body = op.getBody())
      forEachData(*body, fn);
  }
}

// Each ingredient is written with its length first, so no two sequences of
// ingredients run together into the same bytes.
void addField(llvm::raw_ostream &os, llvm::StringRef text) {
  os << text.size() << ':' << text << '\n';
}

} // namespace

std::vector<std::shared_ptr<const DenseData>> distinctData(const Graph &graph) {
  std::vector<std::shared_ptr<const DenseData>> list;
  std::unordered_multimap<uint64_t, size_t> byHash;
  forEachData(graph, [&](const std::shared_ptr<const DenseData> &data) {
    if (!data)
      return;
    auto [begin, end] = byHash.equal_range(data->contentHash());
    for (auto it = begin; it != end; ++it)
      if (list[it->second]->sameBytes(*data))
        return;
    byHash.emplace(data->contentHash(), list.size());
    list.push_back(data);
  });
  return list;
}

DiskCacheKey computeDiskCacheKey(const Graph &graph,
                                 const llvm::TargetMachine &tm,
                                 llvm::StringRef settings) {
  llvm::BLAKE3 hasher;
  HashingStream os(hasher);
  addField(os, "qjit disk cache " + std::to_string(kDiskCacheFormatVersion));
  addField(os, LLVM_VERSION_STRING);
  addField(os, QJIT_SOURCE_HASH);
  addField(os, tm.getTargetTriple().str());
  addField(os, tm.getTargetCPU());
  addField(os, tm.getTargetFeatureString());
  addField(os, std::to_string(static_cast<int>(tm.getCodeModel())));
  addField(os, std::to_string(static_cast<int>(tm.getRelocationModel())));
  addField(os, settings);
  // Every use of a data constant, in the order the text below names them:
  // the bytes themselves, not the printer's hex (twice as many).
  std::vector<const DenseData *> uses;
  forEachData(graph, [&](const std::shared_ptr<const DenseData> &data) {
    uses.push_back(data.get());
  });
  os << uses.size() << '\n';
  for (const DenseData *data : uses) {
    if (!data) {
      os << "null\n";
      continue;
    }
    os << data->size() << ':';
    os.flush();
    hasher.update(data->getBytes());
  }
  // Last, so the text (whose graph name may hold any character) needs no
  // length: everything before it delimits itself.
  DataNames names;
  printGraphBody(os, graph, names);
  os.flush();
  return hasher.final();
}

std::string toHex(const DiskCacheKey &key) {
  return llvm::toHex(llvm::ArrayRef<uint8_t>(key), /*LowerCase=*/true);
}

} // namespace qjit
