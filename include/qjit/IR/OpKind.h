//===- OpKind.h - Operation kinds and their static description --*- C++ -*-===//
#ifndef QJIT_IR_OPKIND_H
#define QJIT_IR_OPKIND_H

#include "qjit/IR/Attribute.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

namespace qjit {

enum class OpKind : unsigned short {
#define QJIT_OP(Name, Category, MinOperands, MaxOperands) Name,
#include "qjit/IR/Ops.def"
};

enum class OpCategory {
  ElementwiseBinary,
  ElementwiseUnary,
  Quantization,
  Gradient,
  Value,
  LinearAlgebra,
  Pooling,
  Reduction,
  Normalization,
  Shape,
  Fusion,
};

struct AttrSpec {
  llvm::StringRef name;
  AttrKind kind;
};

struct OpInfo {
  llvm::StringRef name;
  OpCategory category;
  unsigned minOperands;
  unsigned maxOperands;
  llvm::ArrayRef<AttrSpec> attributes; // in printing order
};

const OpInfo &getOpInfo(OpKind kind);
inline llvm::StringRef opName(OpKind kind) { return getOpInfo(kind).name; }
std::optional<OpKind> parseOpKind(llvm::StringRef name);
// The declared attribute, or nullptr if `kind` has none called `name`.
const AttrSpec *findAttrSpec(OpKind kind, llvm::StringRef name);
// Every op kind, in Ops.def order.
llvm::ArrayRef<OpKind> allOpKinds();

} // namespace qjit

#endif
