//===- Parallel.cpp - Loops split over threads ----------------------------===//
#include "Parallel.h"
#include "LoopBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace qjit {
namespace {

// What crosses from the kernel into its chunks: pointer parameters (with
// the kernel's attributes when they are its own) and captured scalars.
// Constants (globals included) are used in the chunk as they are.
class ChunkInterface {
public:
  ChunkInterface(Function &kernel, ArrayRef<Value *> buffers,
                 ArrayRef<Value *> captures)
      : kernel(kernel) {
    for (Value *v : buffers)
      add(v);
    for (Value *v : captures)
      add(v);
  }

  // The values passed through the context, in order.
  ArrayRef<Value *> passed() const { return passedValues; }
  SmallVector<Type *, 8> passedTypes() const {
    SmallVector<Type *, 8> types;
    for (Value *v : passedValues)
      types.push_back(v->getType());
    return types;
  }
  // Gives `chunk`'s parameters (the passed values first) the kernel's
  // pointer attributes and names.
  void describe(Function &chunk) const {
    AttributeList attrs = kernel.getAttributes();
    for (size_t i = 0; i < passedValues.size(); ++i) {
      Argument *param = chunk.getArg(i);
      param->setName(passedValues[i]->getName());
      if (auto *arg = dyn_cast<Argument>(passedValues[i]);
          arg && arg->getParent() == &kernel)
        chunk.addParamAttrs(i,
                            AttrBuilder(kernel.getContext(),
                                        attrs.getParamAttrs(arg->getArgNo())));
    }
  }
  // The chunk's view of value `index` (buffers first, then captures), given
  // the chunk's parameters.
  Value *inChunk(size_t index, Function &chunk) const {
    const Slot &slot = slots[index];
    return slot.param < 0 ? slot.value : chunk.getArg(slot.param);
  }

private:
  struct Slot {
    Value *value;
    int param; // index in passedValues, or -1 when used as it is
  };
  void add(Value *v) {
    if (!v || isa<Constant>(v)) {
      slots.push_back({v, -1});
      return;
    }
    slots.push_back({v, int(passedValues.size())});
    passedValues.push_back(v);
  }

  Function &kernel;
  SmallVector<Slot, 12> slots;
  SmallVector<Value *, 8> passedValues;
};

FunctionCallee parallelForRuntime(llvm::Module &module) {
  LLVMContext &ctx = module.getContext();
  Type *ptrTy = PointerType::getUnqual(ctx);
  Type *i64Ty = Type::getInt64Ty(ctx);
  FunctionCallee callee = module.getOrInsertFunction(
      "qjit_parallel_for",
      FunctionType::get(Type::getVoidTy(ctx), {ptrTy, ptrTy, i64Ty, i64Ty},
                        false));
  if (auto *fn = dyn_cast<Function>(callee.getCallee()))
    fn->addFnAttr(llvm::Attribute::NoUnwind);
  return callee;
}

Function *createFunction(Function &kernel, FunctionType *type,
                         const Twine &name) {
  Function *fn = Function::Create(type, GlobalValue::InternalLinkage, name,
                                  kernel.getParent());
  // Target CPU and features, vector width, nounwind, ...
  fn->addFnAttrs(
      AttrBuilder(kernel.getContext(), kernel.getAttributes().getFnAttrs()));
  return fn;
}

} // namespace

// The access group that tags the stores of streaming loops (named metadata
// `qjit.streaming` of the module): LoopVectorize keeps access groups on the
// vector stores it makes, which markStreamingStores then makes
// non-temporal. (Marked non-temporal before vectorization, a store would keep
// its loop scalar: the vectorizer cannot prove the alignment that vector
// non-temporal stores need.)
MDNode *streamingAccessGroup(llvm::Module &module) {
  NamedMDNode *named = module.getOrInsertNamedMetadata("qjit.streaming");
  if (named->getNumOperands() == 0)
    named->addOperand(MDNode::getDistinct(module.getContext(), {}));
  return named->getOperand(0);
}

void emitStreamingFence(IRBuilderBase &b) {
  llvm::Module &module = *b.GetInsertBlock()->getModule();
  if (Triple(module.getTargetTriple()).isX86())
    b.CreateIntrinsic(Intrinsic::x86_sse_sfence, {}, {});
}

void emitStreamingLoop(Kernel &chunk, Value *begin, Value *end,
                       StreamingBody body, bool fence) {
  IRBuilderBase &b = chunk.b;
  Function &fn = *b.GetInsertBlock()->getParent();
  llvm::Module &module = *fn.getParent();
  const KernelBuffer &out = chunk.results[0];
  int64_t elements = out.type.numElements();
  // The elements before the first 64-byte boundary of `out` in the range,
  // with ordinary stores (at most 15 of them).
  int64_t size = dataTypeSize(out.type.elementType);
  Value *address = b.CreateAdd(b.CreatePtrToInt(out.ptr, b.getInt64Ty()),
                               b.CreateMul(begin, b.getInt64(size)));
  Value *misalignment = b.CreateAnd(b.CreateNeg(address), b.getInt64(63));
  Value *aligned = b.CreateBinaryIntrinsic(
      Intrinsic::smin,
      b.CreateAdd(begin, b.CreateUDiv(misalignment, b.getInt64(size))), end);
  emitLoop(
      b, begin, aligned, b.getInt64(1),
      [&](IRBuilderBase &b, Value *i) { body(chunk, b, i); }, "peel");

  // The rest, through a view of the buffers that starts at `aligned`: its
  // result pointer is 64-byte aligned (elements are naturally aligned,
  // CompiledGraph::run checks it), which the assumption tells the vector
  // stores made from it. Buffers of other sizes (a per-tensor scale) stay.
  Kernel view = chunk;
  auto rebase = [&](KernelBuffer &buffer) {
    if (buffer.type.numElements() == elements)
      buffer.ptr = elementPtr(b, buffer.type.elementType, buffer.ptr, aligned);
  };
  for (KernelBuffer &buffer : view.operands)
    rebase(buffer);
  for (KernelBuffer &buffer : view.results)
    rebase(buffer);
  b.CreateAlignmentAssumption(module.getDataLayout(), view.results[0].ptr, 64);
  DenseSet<BasicBlock *> before;
  for (BasicBlock &block : fn)
    before.insert(&block);
  emitLoop(
      b, b.getInt64(0), b.CreateSub(end, aligned), b.getInt64(1),
      [&](IRBuilderBase &b, Value *i) { body(view, b, i); }, "stream");
  MDNode *group = streamingAccessGroup(module);
  Value *buffer = view.results[0].ptr;
  for (BasicBlock &block : fn)
    if (!before.contains(&block))
      for (Instruction &inst : block)
        if (auto *store = dyn_cast<StoreInst>(&inst))
          if (getUnderlyingObject(store->getPointerOperand(), 1) == buffer ||
              store->getPointerOperand() == buffer)
            store->setMetadata(LLVMContext::MD_access_group, group);
  // Streaming stores are weakly ordered: fenced before whoever reads the
  // buffer next (another thread after the join, or the next kernel).
  if (fence)
    emitStreamingFence(b);
}

void markStreamingStores(llvm::Module &module) {
  NamedMDNode *named = module.getNamedMetadata("qjit.streaming");
  if (!named || named->getNumOperands() == 0)
    return;
  MDNode *group = named->getOperand(0);
  LLVMContext &ctx = module.getContext();
  MDNode *nontemporal = MDNode::get(
      ctx, ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(ctx), 1)));
  const DataLayout &layout = module.getDataLayout();
  for (Function &fn : module)
    for (Instruction &inst : instructions(fn)) {
      auto *store = dyn_cast<StoreInst>(&inst);
      if (!store || store->getMetadata(LLVMContext::MD_access_group) != group)
        continue;
      // Only whole aligned vectors: an unaligned one would be split into
      // scalar streaming stores, slower than ordinary ones.
      Type *type = store->getValueOperand()->getType();
      if (type->isVectorTy() &&
          store->getAlign().value() >= layout.getTypeStoreSize(type))
        store->setMetadata(LLVMContext::MD_nontemporal, nontemporal);
    }
}

int64_t parallelGrain(int64_t elementsPerIteration) {
  int64_t per = std::max<int64_t>(elementsPerIteration, 1);
  return std::max<int64_t>(1, (kParallelGrainElements + per - 1) / per);
}

void emitParallelFor(Kernel &k, int64_t count, int64_t grain,
                     ArrayRef<Value *> captures, ParallelBody body,
                     int64_t align) {
  assert(grain >= 1 && align >= 1 && "chunks of at least one iteration");
  IRBuilderBase &b = k.b;
  if (count < 2 * grain) {
    body(k, captures, b.getInt64(0), b.getInt64(count));
    return;
  }

  LLVMContext &ctx = b.getContext();
  Function &kernel = *b.GetInsertBlock()->getParent();
  SmallVector<Value *, 8> buffers;
  for (const KernelBuffer &buffer : k.operands)
    buffers.push_back(buffer.ptr);
  for (const KernelBuffer &buffer : k.results)
    buffers.push_back(buffer.ptr);
  buffers.push_back(k.scratch);
  ChunkInterface interface(kernel, buffers, captures);

  // The chunk: the passed values, then begin and end.
  Type *i64Ty = b.getInt64Ty();
  SmallVector<Type *, 8> paramTypes = interface.passedTypes();
  size_t numPassed = paramTypes.size();
  paramTypes.append({i64Ty, i64Ty});
  Function *chunkFn = createFunction(
      kernel, FunctionType::get(b.getVoidTy(), paramTypes, false),
      kernel.getName() + ".chunk");
  interface.describe(*chunkFn);
  Argument *begin = chunkFn->getArg(numPassed);
  Argument *end = chunkFn->getArg(numPassed + 1);
  begin->setName("begin");
  end->setName("end");
  {
    IRBuilder<> cb(BasicBlock::Create(ctx, "entry", chunkFn));
    Kernel chunk{k.graph, k.op, k.module, cb, k.operands, k.results, nullptr};
    size_t slot = 0;
    for (KernelBuffer &buffer : chunk.operands)
      buffer.ptr = interface.inChunk(slot++, *chunkFn);
    for (KernelBuffer &buffer : chunk.results)
      buffer.ptr = interface.inChunk(slot++, *chunkFn);
    chunk.scratch = interface.inChunk(slot++, *chunkFn);
    SmallVector<Value *, 4> captured;
    for (size_t i = 0; i < captures.size(); ++i)
      captured.push_back(interface.inChunk(slot++, *chunkFn));
    body(chunk, captured, begin, end);
    cb.CreateRetVoid();
  }

  // The context and the trampoline void(ptr ctx, i64 begin, i64 end), whose
  // range is in blocks of `align` iterations.
  Type *ptrTy = b.getPtrTy();
  StructType *ctxTy = StructType::get(ctx, interface.passedTypes());
  Function *trampoline = createFunction(
      kernel, FunctionType::get(b.getVoidTy(), {ptrTy, i64Ty, i64Ty}, false),
      kernel.getName() + ".chunk.run");
  trampoline->addParamAttr(0, llvm::Attribute::NoCapture);
  trampoline->addParamAttr(0, llvm::Attribute::ReadOnly);
  {
    IRBuilder<> tb(BasicBlock::Create(ctx, "entry", trampoline));
    SmallVector<Value *, 10> args;
    Value *ctxPtr = trampoline->getArg(0);
    for (size_t i = 0; i < numPassed; ++i)
      args.push_back(tb.CreateLoad(ctxTy->getElementType(i),
                                   tb.CreateStructGEP(ctxTy, ctxPtr, i)));
    Value *first = trampoline->getArg(1), *last = trampoline->getArg(2);
    if (align > 1) {
      first = tb.CreateMul(first, tb.getInt64(align), "", true, true);
      last = tb.CreateBinaryIntrinsic(
          Intrinsic::smin,
          tb.CreateMul(last, tb.getInt64(align), "", true, true),
          tb.getInt64(count));
    }
    args.append({first, last});
    tb.CreateCall(chunkFn, args);
    tb.CreateRetVoid();
  }

  // The kernel's side: fill the context, hand the range to the runtime.
  Value *ctxPtr = ConstantPointerNull::get(b.getPtrTy());
  if (numPassed) {
    BasicBlock &entry = kernel.getEntryBlock();
    IRBuilder<> entryBuilder(&entry, entry.getFirstInsertionPt());
    ctxPtr = entryBuilder.CreateAlloca(ctxTy, nullptr, "chunk.ctx");
    for (size_t i = 0; i < numPassed; ++i)
      b.CreateStore(interface.passed()[i], b.CreateStructGEP(ctxTy, ctxPtr, i));
  }
  int64_t blocks = (count + align - 1) / align;
  int64_t blockGrain = std::max<int64_t>(1, (grain + align - 1) / align);
  b.CreateCall(
      parallelForRuntime(k.module),
      {trampoline, ctxPtr, b.getInt64(blocks), b.getInt64(blockGrain)});
}

void emitParallelChannelWalk(Kernel &k, int64_t outer, int64_t channels,
                             int64_t inner, ArrayRef<Value *> captures,
                             ChannelWalkBody body) {
  if (channels == 1) {
    bool streaming = k.results[0].type.sizeInBytes() >= kStreamingStoreBytes;
    emitParallelFor(
        k, outer * inner, kParallelGrainElements, captures,
        [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin,
            Value *end) {
          if (streaming) {
            emitStreamingLoop(chunk, begin, end,
                              [&](Kernel &view, IRBuilderBase &b, Value *i) {
                                body(view, captured, b, i, b.getInt64(0));
                              });
            return;
          }
          emitLoop(chunk.b, begin, end, chunk.b.getInt64(1),
                   [&](IRBuilderBase &b, Value *i) {
                     body(chunk, captured, b, i, b.getInt64(0));
                   });
        },
        kParallelAlignElements);
    return;
  }
  if (inner == 1) {
    // Rows of `channels` contiguous elements, one per outer index.
    emitParallelFor(
        k, outer, parallelGrain(channels), captures,
        [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin,
            Value *end) {
          IRBuilderBase &b = chunk.b;
          emitLoop(
              b, begin, end, b.getInt64(1),
              [&](IRBuilderBase &b, Value *o) {
                Value *rowBase =
                    b.CreateMul(o, b.getInt64(channels), "", true, true);
                emitLoop(
                    b, channels,
                    [&](IRBuilderBase &b, Value *c) {
                      body(chunk, captured, b,
                           b.CreateAdd(rowBase, c, "", true, true), c);
                    },
                    "c");
              },
              "o");
        });
    return;
  }
  // Rows of `inner` contiguous elements of one channel, (outer, channel)
  // in row-major order. Long rows of a large result stream their stores
  // (the alignment peel costs up to 15 ordinary stores a row).
  constexpr int64_t kStreamingRowElements = 1024;
  bool streaming = k.results[0].type.sizeInBytes() >= kStreamingStoreBytes &&
                   inner >= kStreamingRowElements;
  emitParallelFor(
      k, outer * channels, parallelGrain(inner), captures,
      [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin, Value *end) {
        IRBuilderBase &b = chunk.b;
        emitLoop(
            b, begin, end, b.getInt64(1),
            [&](IRBuilderBase &b, Value *row) {
              Value *c = b.CreateURem(row, b.getInt64(channels), "c");
              Value *base = b.CreateMul(row, b.getInt64(inner), "", true, true);
              if (streaming) {
                emitStreamingLoop(
                    chunk, base, b.CreateAdd(base, b.getInt64(inner)),
                    [&](Kernel &view, IRBuilderBase &b, Value *i) {
                      body(view, captured, b, i, c);
                    },
                    /*fence=*/false);
                return;
              }
              emitLoop(
                  b, inner,
                  [&](IRBuilderBase &b, Value *i) {
                    body(chunk, captured, b,
                         b.CreateAdd(base, i, "", true, true), c);
                  },
                  "i");
            },
            "row");
        if (streaming)
          emitStreamingFence(b);
      });
}

} // namespace qjit
