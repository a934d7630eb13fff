//===- OpKind.cpp - Tables generated from Ops.def -------------------------===//
#include "qjit/IR/OpKind.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"

namespace qjit {

namespace {

using namespace op_traits; // Ops.def names traits unqualified

// Every QJIT_ATTR line, in order; grouped per op at start-up.
struct AttrEntry {
  OpKind op;
  llvm::StringRef name;
  AttrKind kind;
  llvm::StringRef defaultText; // as written in Ops.def; empty: no default
};
constexpr AttrEntry allAttrs[] = {
#define QJIT_ATTR(Op, Name, Kind, Default)                                     \
  {OpKind::Op, #Name, AttrKind::Kind, #Default},
#include "qjit/IR/Ops.def"
};

struct GradEntry {
  OpKind grad, forward;
  llvm::StringRef shapeAttr;
};
constexpr GradEntry allGrads[] = {
#define QJIT_GRAD_OP(Name, Forward, MinOperands, MaxOperands, ShapeAttr,       \
                     Traits, Summary)                                          \
  {OpKind::Name, OpKind::Forward, #ShapeAttr},
#include "qjit/IR/Ops.def"
};

// An Ops.def default, read as the text format reads a value of `kind`.
// Ops.def is ours, so a default that does not read is a bug in it.
std::optional<Attribute> parseDefault(AttrKind kind, llvm::StringRef text) {
  if (text.empty())
    return std::nullopt;
  int64_t i;
  double d;
  switch (kind) {
  case AttrKind::Int:
  case AttrKind::IntOrList:
    if (!llvm::to_integer(text, i))
      break;
    return Attribute(i);
  case AttrKind::Float:
  case AttrKind::FloatOrList:
    if (!llvm::to_float(text, d))
      break;
    return Attribute(d);
  case AttrKind::Bool:
    if (text != "true" && text != "false")
      break;
    return Attribute(text == "true");
  case AttrKind::Enum:
    return Attribute::enumValue(text);
  case AttrKind::IntList:
  case AttrKind::Numbers:
  case AttrKind::Data:
    break;
  }
  llvm::report_fatal_error(llvm::Twine("Ops.def: bad default '") + text + "'");
}

struct Tables {
  std::vector<OpInfo> infos;
  std::vector<std::vector<AttrSpec>> attrs;
  std::vector<OpKind> kinds;
  llvm::StringMap<OpKind> byName;

  Tables() {
#define QJIT_OP(Name, Category, MinOperands, MaxOperands, Traits, Summary)     \
  infos.push_back({#Name, OpCategory::Category, MinOperands, MaxOperands,      \
                   Traits, Summary, {}, std::nullopt, {}});                    \
  kinds.push_back(OpKind::Name);                                               \
  byName[#Name] = OpKind::Name;
#include "qjit/IR/Ops.def"
    attrs.resize(infos.size());
    for (const AttrEntry &e : allAttrs)
      attrs[index(e.op)].push_back(
          {e.name, e.kind, parseDefault(e.kind, e.defaultText)});
    // A Grad op takes its forward op's attributes, then its shape attribute.
    for (const GradEntry &e : allGrads) {
      std::vector<AttrSpec> &specs = attrs[index(e.grad)];
      specs = attrs[index(e.forward)];
      if (!e.shapeAttr.empty())
        specs.push_back({e.shapeAttr, AttrKind::IntList, std::nullopt});
      infos[index(e.grad)].forward = e.forward;
      infos[index(e.grad)].shapeAttr = e.shapeAttr;
    }
    for (size_t i = 0; i < infos.size(); ++i)
      infos[i].attributes = attrs[i];
  }

  static size_t index(OpKind kind) { return static_cast<size_t>(kind); }
};

const Tables &tables() {
  static const Tables t;
  return t;
}
} // namespace

const OpInfo &getOpInfo(OpKind kind) {
  return tables().infos[Tables::index(kind)];
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

std::optional<OpKind> unaryGradientOp(OpKind kind) {
  if (getOpInfo(kind).category != OpCategory::ElementwiseUnary)
    return std::nullopt;
  for (const GradEntry &e : allGrads)
    if (e.forward == kind)
      return e.grad;
  return std::nullopt;
}

llvm::ArrayRef<OpKind> allOpKinds() { return tables().kinds; }

llvm::StringRef categoryName(OpCategory category) {
  switch (category) {
#define QJIT_CATEGORY(Name, PrintedName)                                       \
  case OpCategory::Name:                                                       \
    return PrintedName;
#include "qjit/IR/Ops.def"
  }
  llvm_unreachable("unknown op category");
}

} // namespace qjit
