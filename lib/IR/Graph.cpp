//===- Graph.cpp ----------------------------------------------------------===//
#include "qjit/IR/Graph.h"
#include "qjit/IR/Printer.h"
#include <cassert>

namespace qjit {

const Attribute *Operation::getAttr(llvm::StringRef name) const {
  for (const NamedAttribute &a : attrs)
    if (a.name == name)
      return &a.value;
  return nullptr;
}

const Attribute *Operation::getAttrOrDefault(llvm::StringRef name) const {
  if (const Attribute *a = getAttr(name))
    return a;
  const AttrSpec *spec = findAttrSpec(kind, name);
  return spec && spec->defaultValue ? &*spec->defaultValue : nullptr;
}

void Operation::setAttr(llvm::StringRef name, Attribute value) {
  for (NamedAttribute &a : attrs)
    if (a.name == name) {
      a.value = std::move(value);
      return;
    }
  // Keep the declared order so printing is canonical.
  auto order = [&](llvm::StringRef n) {
    llvm::ArrayRef<AttrSpec> specs = getOpInfo(kind).attributes;
    for (size_t i = 0; i < specs.size(); ++i)
      if (specs[i].name == n)
        return i;
    return specs.size();
  };
  size_t mine = order(name);
  auto pos = llvm::find_if(
      attrs, [&](const NamedAttribute &a) { return order(a.name) > mine; });
  attrs.insert(pos, {name.str(), std::move(value)});
}

ValueId Graph::newValue(TensorType type) {
  ValueId id = nextId;
  defineValue(id, std::move(type));
  return id;
}

bool Graph::defineValue(ValueId id, TensorType type) {
  if (!types.try_emplace(id, std::move(type)).second)
    return false;
  nextId = std::max(nextId, id + 1);
  return true;
}

const TensorType &Graph::getType(ValueId id) const {
  auto it = types.find(id);
  assert(it != types.end() && "unknown value id");
  return it->second;
}

void Graph::eraseOpsIf(llvm::function_ref<bool(const Operation &)> pred) {
  std::erase_if(ops, [&](const Operation &op) {
    if (!pred(op))
      return false;
    for (ValueId id : op.getResults())
      types.erase(id);
    return true;
  });
}

const Operation *Graph::getDefiningOp(ValueId id) const {
  for (const Operation &op : ops)
    if (llvm::is_contained(op.getResults(), id))
      return &op;
  return nullptr;
}

std::string Graph::opToString(const Operation &op) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  printOp(os, *this, op);
  return text;
}

std::string Graph::toString() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  printGraph(os, *this);
  return text;
}

Graph *Module::findGraph(llvm::StringRef name) {
  for (Graph &g : graphs)
    if (g.getName() == name)
      return &g;
  return nullptr;
}

const Graph *Module::findGraph(llvm::StringRef name) const {
  return const_cast<Module *>(this)->findGraph(name);
}

std::string Module::toString() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  printModule(os, *this);
  return text;
}

} // namespace qjit
