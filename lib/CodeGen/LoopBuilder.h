//===- LoopBuilder.h - Emitting counted loops -------------------*- C++ -*-===//
//
// Loops in the shape LoopVectorize likes: an i64 induction variable that
// starts at `begin` and steps by a positive `step` while below `end`, guarded
// so that an empty range skips the body. The body callback emits the loop body
// at the builder's insertion point (it may create blocks of its own).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_LOOPBUILDER_H
#define QJIT_LIB_CODEGEN_LOOPBUILDER_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/IRBuilder.h"

namespace qjit {

using LoopBody = llvm::function_ref<void(llvm::IRBuilderBase &, llvm::Value *)>;

// for (iv = begin; iv < end; iv += step) body(iv); leaves the builder after
// the loop.
void emitLoop(llvm::IRBuilderBase &b, llvm::Value *begin, llvm::Value *end,
              llvm::Value *step, LoopBody body, const llvm::Twine &name = "i");

// for (iv = 0; iv < count; ++iv) body(iv), with a constant count.
void emitLoop(llvm::IRBuilderBase &b, int64_t count, LoopBody body,
              const llvm::Twine &name = "i");

// An alloca in the function's entry block (where mem2reg promotes it),
// initialized with `init` at the current insertion point.
llvm::AllocaInst *createLocal(llvm::IRBuilderBase &b, llvm::Value *init,
                              const llvm::Twine &name);

} // namespace qjit

#endif
