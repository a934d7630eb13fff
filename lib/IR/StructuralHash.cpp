//===- StructuralHash.cpp -------------------------------------------------===//
#include "qjit/IR/StructuralHash.h"
#include "qjit/IR/DenseData.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include <cstring>

namespace qjit {

namespace {
struct Hasher {
  llvm::hash_code h = llvm::hash_value(0x716a6974); // "qjit"
  void add(uint64_t v) { h = llvm::hash_combine(h, v); }
  void add(llvm::StringRef s) { h = llvm::hash_combine(h, s); }
  void add(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits); // distinguishes -0.0 and NaNs
    add(bits);
  }
  void add(const TensorType &t) {
    add(static_cast<uint64_t>(t.elementType));
    add(static_cast<uint64_t>(t.shape.size()));
    for (int64_t d : t.shape)
      add(static_cast<uint64_t>(d));
  }
  void add(const Attribute &a) {
    add(static_cast<uint64_t>(a.storage().index()));
    std::visit(
        [&](const auto &v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, EnumValue>)
            add(llvm::StringRef(v.name));
          else if constexpr (std::is_same_v<T, DataRef>) {
            // The bytes' xxh3, computed when the data was made.
            add(v.data ? v.data->size() : ~uint64_t(0));
            add(v.data ? v.data->contentHash() : uint64_t(0));
          } else if constexpr (std::is_same_v<T, double>)
            add(v);
          else if constexpr (std::is_same_v<T, std::vector<double>>) {
            add(static_cast<uint64_t>(v.size()));
            for (double d : v)
              add(d);
          } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
            add(static_cast<uint64_t>(v.size()));
            for (int64_t i : v)
              add(static_cast<uint64_t>(i));
          } else
            add(static_cast<uint64_t>(v));
        },
        a.storage());
  }
};
} // namespace

uint64_t structuralHash(const Graph &graph) {
  Hasher hasher;
  llvm::DenseMap<ValueId, uint64_t> number; // value id -> definition order
  auto define = [&](ValueId id) {
    number.try_emplace(id, number.size());
    hasher.add(graph.hasValue(id) ? graph.getType(id) : TensorType{});
  };
  auto use = [&](ValueId id) {
    auto it = number.find(id);
    hasher.add(it == number.end() ? ~uint64_t(0) : it->second);
  };
  hasher.add(static_cast<uint64_t>(graph.getInputs().size()));
  for (ValueId id : graph.getInputs())
    define(id);
  for (const Operation &op : graph.getOps()) {
    hasher.add(static_cast<uint64_t>(op.getKind()));
    hasher.add(static_cast<uint64_t>(op.getNumOperands()));
    for (ValueId id : op.getOperands())
      use(id);
    hasher.add(static_cast<uint64_t>(op.getAttrs().size()));
    for (const NamedAttribute &attr : op.getAttrs()) {
      hasher.add(llvm::StringRef(attr.name));
      hasher.add(attr.value);
    }
    hasher.add(static_cast<uint64_t>(op.getNumResults()));
    for (ValueId id : op.getResults())
      define(id);
    if (const Graph *body = op.getBody())
      hasher.add(structuralHash(*body));
  }
  hasher.add(static_cast<uint64_t>(graph.getOutputs().size()));
  for (ValueId id : graph.getOutputs())
    use(id);
  return static_cast<uint64_t>(size_t(hasher.h));
}

} // namespace qjit
