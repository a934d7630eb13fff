//===- LoopBuilder.cpp - Emitting counted loops ---------------------------===//
#include "LoopBuilder.h"
#include "llvm/ADT/STLExtras.h"
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

void emitLoopNest(IRBuilderBase &b, ArrayRef<int64_t> counts,
                  ArrayRef<StringRef> names, NestBody body) {
  assert(counts.size() == names.size() && "one name per loop");
  LoopStack loops(b);
  SmallVector<Value *, 4> ivs;
  for (auto [count, name] : zip(counts, names))
    ivs.push_back(loops.open(0, count, name));
  body(b, ivs);
  for (size_t d = 0; d < counts.size(); ++d)
    loops.close();
}

AllocaInst *createLocal(IRBuilderBase &b, Value *init, const Twine &name) {
  Function *fn = b.GetInsertBlock()->getParent();
  BasicBlock &entry = fn->getEntryBlock();
  IRBuilder<> entryBuilder(&entry, entry.getFirstInsertionPt());
  AllocaInst *slot = entryBuilder.CreateAlloca(init->getType(), nullptr, name);
  b.CreateStore(init, slot);
  return slot;
}

void emitStridedNest(IRBuilderBase &b, ArrayRef<int64_t> dims,
                     ArrayRef<Shape> strides, ArrayRef<int64_t> bases,
                     OffsetsBody body) {
  LoopStack loops(b);
  SmallVector<Value *, 4> offsets;
  for (int64_t base : bases)
    offsets.push_back(b.getInt64(base));
  for (size_t d = 0; d < dims.size(); ++d) {
    Value *iv = loops.open(0, dims[d], "d" + Twine(d));
    for (size_t k = 0; k < offsets.size(); ++k)
      if (int64_t stride = strides[k][d])
        offsets[k] = b.CreateAdd(
            offsets[k], b.CreateMul(iv, b.getInt64(stride), "", true, true), "",
            true, true);
  }
  body(b, offsets);
  for (size_t d = 0; d < dims.size(); ++d)
    loops.close();
}

Value *LoopStack::open(Value *begin, Value *end, const Twine &name) {
  Function *fn = b.GetInsertBlock()->getParent();
  BasicBlock *preheader = b.GetInsertBlock();
  BasicBlock *body = BasicBlock::Create(b.getContext(), name + ".body", fn);
  BasicBlock *exit = BasicBlock::Create(b.getContext(), name + ".exit", fn);
  b.CreateCondBr(b.CreateICmpSLT(begin, end), body, exit);
  b.SetInsertPoint(body);
  PHINode *iv = b.CreatePHI(begin->getType(), 2, name);
  iv->addIncoming(begin, preheader);
  open_.push_back({iv, end, body, exit});
  return iv;
}

void LoopStack::close() {
  Loop loop = open_.pop_back_val();
  Value *next = b.CreateAdd(loop.iv, ConstantInt::get(loop.iv->getType(), 1),
                            loop.iv->getName() + ".next", true, true);
  loop.iv->addIncoming(next, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpSLT(next, loop.end), loop.body, loop.exit);
  b.SetInsertPoint(loop.exit);
}

void emitZeroFill(IRBuilderBase &b, Value *ptr, uint64_t bytes) {
  if (bytes)
    b.CreateMemSet(ptr, b.getInt8(0), bytes, MaybeAlign());
}

} // namespace qjit
