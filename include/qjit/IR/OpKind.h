//===- OpKind.h - Operation kinds and their static description --*- C++ -*-===//
//
// Everything here is generated from Ops.def: the OpKind enumerators, each
// op's category, operand counts, traits, summary, attributes with their
// defaults, and, for a Grad op, the op it differentiates.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_OPKIND_H
#define QJIT_IR_OPKIND_H

#include "qjit/IR/Attribute.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

namespace qjit {

enum class OpKind : unsigned short {
#define QJIT_OP(Name, Category, MinOperands, MaxOperands, Traits, Summary) Name,
#include "qjit/IR/Ops.def"
};

enum class OpCategory {
#define QJIT_CATEGORY(Name, PrintedName) Name,
#include "qjit/IR/Ops.def"
};

// The traits an op may have (Ops.def explains each); a bit set.
namespace op_traits {
enum OpTrait : unsigned {
  NoTraits = 0,
  Elementwise = 1u << 0,
  FloatOnly = 1u << 1,
  Differentiable = 1u << 2,
};
} // namespace op_traits
using op_traits::OpTrait;

struct AttrSpec {
  llvm::StringRef name;
  AttrKind kind;
  // What an absent attribute means, if Ops.def gives a default.
  std::optional<Attribute> defaultValue;
};

struct OpInfo {
  llvm::StringRef name;
  OpCategory category;
  unsigned minOperands;
  unsigned maxOperands;
  unsigned traits; // OpTrait bits
  llvm::StringRef summary;
  llvm::ArrayRef<AttrSpec> attributes; // in printing order
  // Grad ops: the op differentiated and the attribute only the Grad op has
  // (empty if none).
  std::optional<OpKind> forward;
  llvm::StringRef shapeAttr;

  bool has(OpTrait trait) const { return (traits & trait) != 0; }
};

const OpInfo &getOpInfo(OpKind kind);
inline llvm::StringRef opName(OpKind kind) { return getOpInfo(kind).name; }
inline bool hasTrait(OpKind kind, OpTrait trait) {
  return getOpInfo(kind).has(trait);
}
std::optional<OpKind> parseOpKind(llvm::StringRef name);
// The declared attribute, or nullptr if `kind` has none called `name`.
const AttrSpec *findAttrSpec(OpKind kind, llvm::StringRef name);
// The Grad op of a unary op that the generic backward rule uses
// (Grad<Op>(dy, x) -> dx), if it has one.
std::optional<OpKind> unaryGradientOp(OpKind kind);
// Every op kind, in Ops.def order.
llvm::ArrayRef<OpKind> allOpKinds();
llvm::StringRef categoryName(OpCategory category);

} // namespace qjit

#endif
