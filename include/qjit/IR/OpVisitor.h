//===- OpVisitor.h - Dispatch on an op kind, from Ops.def -------*- C++ -*-===//
//
// Like LLVM's InstVisitor. A subclass defines the visit methods it cares
// about; visit(op) calls visit<Name> (visitAdd), which falls back to the
// op's category (visitElementwiseBinary), which falls back to visitOp:
//
//   struct Evaluator : OpVisitor<Evaluator, llvm::Error> {
//     llvm::Error visitElementwiseBinary(const Operation &op) { ... }
//     llvm::Error visitMatMul(const Operation &op) { ... }
//     llvm::Error visitOp(const Operation &op) { ... } // everything else
//   };
//
// The base class does not define visitOp, so a visitor that neither handles
// every category nor defines visitOp does not compile: a new op is named by
// the compiler in every visitor that misses it. The switch is generated from
// Ops.def and has no default.
//
// Extra arguments of visit() are passed on to every method.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_OPVISITOR_H
#define QJIT_IR_OPVISITOR_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/ErrorHandling.h"

namespace qjit {

template <typename SubClass, typename RetTy = void, typename... Args>
class OpVisitor {
public:
  RetTy visit(const Operation &op, Args... args) {
    switch (op.getKind()) {
#define QJIT_OP(Name, Category, MinOperands, MaxOperands, Traits, Summary)     \
  case OpKind::Name:                                                           \
    return self().visit##Name(op, args...);
#include "qjit/IR/Ops.def"
    }
    llvm_unreachable("not an OpKind");
  }

  // One method per op, falling back to its category.
#define QJIT_OP(Name, Category, MinOperands, MaxOperands, Traits, Summary)     \
  RetTy visit##Name(const Operation &op, Args... args) {                       \
    return self().visit##Category(op, args...);                                \
  }
#include "qjit/IR/Ops.def"

  // One method per category, falling back to the subclass's visitOp.
#define QJIT_CATEGORY(Name, PrintedName)                                       \
  RetTy visit##Name(const Operation &op, Args... args) {                       \
    return self().visitOp(op, args...);                                        \
  }
#include "qjit/IR/Ops.def"

private:
  SubClass &self() { return *static_cast<SubClass *>(this); }
};

} // namespace qjit

#endif
