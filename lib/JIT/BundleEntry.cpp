//===- BundleEntry.cpp - A bundle's C entry for one graph -----------------===//
//
// The lowered entry reads every buffer from one table (CodeGen.h); a C
// caller has inputs and outputs in two arrays and no data constants. The
// wrapper added here fills the table from the two arrays, the workspace and
// the addresses of the data constants, now globals of the object. It is
// added after the graph's module was optimized, as the JIT optimizes it: the
// optimizer never sees the constants' bytes, so it folds no load of them
// and the code is the JIT's.
//
//===----------------------------------------------------------------------===//
#include "BundleParts.h"
#include "qjit/IR/DenseData.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace qjit {

void addBundleEntry(const Graph &graph, LoweredGraph &lowered,
                    StringRef cName) {
  llvm::Module &module = *lowered.module;
  LLVMContext &ctx = module.getContext();
  Function *graphEntry = module.getFunction(lowered.entryName);
  graphEntry->setLinkage(GlobalValue::InternalLinkage);

  PointerType *ptrTy = PointerType::getUnqual(ctx);
  Type *i32 = Type::getInt32Ty(ctx);
  auto *fnTy = FunctionType::get(i32, {ptrTy, ptrTy, ptrTy}, false);
  Function *entry =
      Function::Create(fnTy, GlobalValue::ExternalLinkage, cName, module);
  // The lowered entry's CPU and features, so both compile for one subtarget.
  for (StringRef attr : {"target-cpu", "target-features"})
    if (graphEntry->hasFnAttribute(attr))
      entry->addFnAttr(graphEntry->getFnAttribute(attr));
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  Argument *inputs = entry->getArg(0), *outputs = entry->getArg(1),
           *workspace = entry->getArg(2);
  inputs->setName("inputs");
  outputs->setName("outputs");
  workspace->setName("workspace");

  size_t numInputs = graph.getInputs().size();
  size_t numOutputs = graph.getOutputs().size();
  size_t slots = numInputs + numOutputs + 1 + lowered.data.size();
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", entry));
  ArrayType *tableTy = ArrayType::get(ptrTy, slots);
  AllocaInst *table = b.CreateAlloca(tableTy, nullptr, "buffers");
  auto store = [&](Value *pointer, size_t slot) {
    b.CreateStore(pointer, b.CreateConstInBoundsGEP2_64(tableTy, table, 0, slot));
  };

  // Whether `pointer` cannot hold `bytes` bytes aligned to `alignment`.
  Value *bad = b.getFalse();
  auto check = [&](Value *pointer, uint64_t bytes, uint64_t alignment) {
    if (bytes == 0)
      return;
    bad = b.CreateOr(bad, b.CreateIsNull(pointer));
    if (alignment > 1) {
      Value *address = b.CreatePtrToInt(pointer, b.getInt64Ty());
      Value *low = b.CreateAnd(address, b.getInt64(alignment - 1));
      bad = b.CreateOr(bad, b.CreateIsNotNull(low));
    }
  };
  auto passBuffers = [&](Value *array, ArrayRef<ValueId> values,
                         size_t firstSlot, StringRef prefix) {
    for (size_t i = 0; i < values.size(); ++i) {
      const TensorType &type = graph.getType(values[i]);
      Value *pointer =
          b.CreateLoad(ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, array, i),
                       prefix + Twine(i));
      check(pointer, type.sizeInBytes(), dataTypeSize(type.elementType));
      store(pointer, firstSlot + i);
    }
  };
  passBuffers(inputs, graph.getInputs(), 0, "in");
  passBuffers(outputs, graph.getOutputs(), numInputs, "out");
  check(workspace, lowered.workspaceSize, kBundleWorkspaceAlignment);
  store(workspace, numInputs + numOutputs);

  for (size_t k = 0; k < lowered.data.size(); ++k) {
    StringRef bytes = lowered.data[k]->getBytes();
    Constant *init = ConstantDataArray::getRaw(bytes, bytes.size(), b.getInt8Ty());
    auto *global = new GlobalVariable(module, init->getType(), /*isConstant=*/true,
                                      GlobalValue::PrivateLinkage, init,
                                      cName + ".data" + Twine(k));
    global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    global->setAlignment(Align(64)); // as DenseData keeps them (CodeGen.h)
    store(global, numInputs + numOutputs + 1 + k);
  }

  BasicBlock *run = BasicBlock::Create(ctx, "run", entry);
  BasicBlock *reject = BasicBlock::Create(ctx, "reject", entry);
  b.CreateCondBr(bad, reject, run);
  b.SetInsertPoint(run);
  b.CreateCall(graphEntry, {table});
  b.CreateRet(b.getInt32(0));
  b.SetInsertPoint(reject);
  b.CreateRet(b.getInt32(-1));
}

} // namespace qjit
