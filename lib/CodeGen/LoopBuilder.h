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
#include "qjit/IR/TensorType.h"
#include <cassert>

namespace qjit {

using LoopBody = llvm::function_ref<void(llvm::IRBuilderBase &, llvm::Value *)>;

// for (iv = begin; iv < end; iv += step) body(iv); leaves the builder after
// the loop.
void emitLoop(llvm::IRBuilderBase &b, llvm::Value *begin, llvm::Value *end,
              llvm::Value *step, LoopBody body, const llvm::Twine &name = "i");

// for (iv = 0; iv < count; ++iv) body(iv), with a constant count.
void emitLoop(llvm::IRBuilderBase &b, int64_t count, LoopBody body,
              const llvm::Twine &name = "i");

// Nested counted loops, outermost first: for (i0 = 0; i0 < counts[0]; ++i0)
// for (i1 = 0; ...) ... body(ivs), the loop over counts[d] named names[d].
using NestBody = llvm::function_ref<void(llvm::IRBuilderBase &,
                                         llvm::ArrayRef<llvm::Value *>)>;
void emitLoopNest(llvm::IRBuilderBase &b, llvm::ArrayRef<int64_t> counts,
                  llvm::ArrayRef<llvm::StringRef> names, NestBody body);

// An alloca in the function's entry block (where mem2reg promotes it),
// initialized with `init` at the current insertion point.
llvm::AllocaInst *createLocal(llvm::IRBuilderBase &b, llvm::Value *init,
                              const llvm::Twine &name);

// For every index of `dims` in row-major order,
// calls body with each buffer's element offset base[k] + sum_d i_d *
// strides[k][d].
using OffsetsBody = llvm::function_ref<void(llvm::IRBuilderBase &,
                                            llvm::ArrayRef<llvm::Value *>)>;
void emitStridedNest(llvm::IRBuilderBase &b, llvm::ArrayRef<int64_t> dims,
                     llvm::ArrayRef<Shape> strides,
                     llvm::ArrayRef<int64_t> bases, OffsetsBody body);
// Stores `bytes` zero bytes at `ptr`.
void emitZeroFill(llvm::IRBuilderBase &b, llvm::Value *ptr, uint64_t bytes);

// Counted loops opened and closed in sequence, so that deep nests read
// top to bottom: open() emits the guard and the header of
// `for (iv = begin; iv < end; ++iv)` and returns iv, close() the latch of
// the innermost open loop (LoopBuilder.h's rotated form).
class LoopStack {
public:
  explicit LoopStack(llvm::IRBuilderBase &b) : b(b) {}
  ~LoopStack() { assert(open_.empty() && "loops left open"); }
  llvm::Value *open(llvm::Value *begin, llvm::Value *end,
                    const llvm::Twine &name);
  llvm::Value *open(int64_t begin, int64_t end, const llvm::Twine &name) {
    return open(b.getInt64(begin), b.getInt64(end), name);
  }
  void close();

private:
  struct Loop {
    llvm::PHINode *iv;
    llvm::Value *end;
    llvm::BasicBlock *body, *exit;
  };
  llvm::IRBuilderBase &b;
  llvm::SmallVector<Loop, 8> open_;
};

} // namespace qjit

#endif
