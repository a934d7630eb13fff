//===- OpKind.cpp - Tables generated from Ops.def -------------------------===//
#include "qjit/IR/OpKind.h"
#include "llvm/ADT/StringMap.h"

namespace qjit {

namespace {
// Every QJIT_ATTR line, in order; grouped per op at start-up.
struct AttrEntry {
  OpKind op;
  AttrSpec spec;
};
constexpr AttrEntry allAttrs[] = {
#define QJIT_ATTR(Op, Name, Kind) {OpKind::Op, {#Name, AttrKind::Kind}},
#include "qjit/IR/Ops.def"
};

struct Tables {
  std::vector<OpInfo> infos;
  std::vector<std::vector<AttrSpec>> attrs;
  std::vector<OpKind> kinds;
  llvm::StringMap<OpKind> byName;

  Tables() {
#define QJIT_OP(Name, Category, MinOperands, MaxOperands)                      \
  infos.push_back(                                                             \
      {#Name, OpCategory::Category, MinOperands, MaxOperands, {}});            \
  kinds.push_back(OpKind::Name);                                               \
  byName[#Name] = OpKind::Name;
#include "qjit/IR/Ops.def"
    attrs.resize(infos.size());
    for (const AttrEntry &e : allAttrs)
      attrs[static_cast<size_t>(e.op)].push_back(e.spec);
    for (size_t i = 0; i < infos.size(); ++i)
      infos[i].attributes = attrs[i];
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}
} // namespace

const OpInfo &getOpInfo(OpKind kind) {
  return tables().infos[static_cast<size_t>(kind)];
}

std::optional<OpKind> parseOpKind(llvm::StringRef name) {
  auto it = tables().byName.find(name);
  if (it == tables().byName.end())
    return std::nullopt;
  return it->second;
}

const AttrSpec *findAttrSpec(OpKind kind, llvm::StringRef name) {
  for (const AttrSpec &spec : getOpInfo(kind).attributes)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

llvm::ArrayRef<OpKind> allOpKinds() { return tables().kinds; }

} // namespace qjit
