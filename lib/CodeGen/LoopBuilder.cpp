//===- LoopBuilder.cpp - Emitting counted loops ---------------------------===//
#include "LoopBuilder.h"
#include "llvm/IR/Function.h"

using namespace llvm;

namespace qjit {

void emitLoop(IRBuilderBase &b, Value *begin, Value *end, Value *step,
              LoopBody body, const Twine &name) {
  LLVMContext &ctx = b.getContext();
  Function *fn = b.GetInsertBlock()->getParent();
  BasicBlock *preheader = b.GetInsertBlock();
  BasicBlock *bodyBlock = BasicBlock::Create(ctx, name + ".body", fn);
  BasicBlock *exitBlock = BasicBlock::Create(ctx, name + ".exit", fn);

  // Rotated form: guard, then a body that ends in the exit test.
  b.CreateCondBr(b.CreateICmpSLT(begin, end), bodyBlock, exitBlock);
  b.SetInsertPoint(bodyBlock);
  PHINode *iv = b.CreatePHI(begin->getType(), 2, name);
  iv->addIncoming(begin, preheader);
  body(b, iv);
  Value *next = b.CreateAdd(iv, step, name + ".next", /*HasNUW=*/true,
                            /*HasNSW=*/true);
  BasicBlock *latch = b.GetInsertBlock();
  b.CreateCondBr(b.CreateICmpSLT(next, end), bodyBlock, exitBlock);
  iv->addIncoming(next, latch);
  b.SetInsertPoint(exitBlock);
}

void emitLoop(IRBuilderBase &b, int64_t count, LoopBody body,
              const Twine &name) {
  emitLoop(b, b.getInt64(0), b.getInt64(count), b.getInt64(1), body, name);
}

AllocaInst *createLocal(IRBuilderBase &b, Value *init, const Twine &name) {
  Function *fn = b.GetInsertBlock()->getParent();
  BasicBlock &entry = fn->getEntryBlock();
  IRBuilder<> entryBuilder(&entry, entry.getFirstInsertionPt());
  AllocaInst *slot = entryBuilder.CreateAlloca(init->getType(), nullptr, name);
  b.CreateStore(init, slot);
  return slot;
}

} // namespace qjit
