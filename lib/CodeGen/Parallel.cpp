//===- Parallel.cpp - Loops split over threads ----------------------------===//
#include "Parallel.h"
#include "LoopBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Intrinsics.h"

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
    emitParallelFor(
        k, outer * inner, kParallelGrainElements, captures,
        [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin,
            Value *end) {
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
  // in row-major order.
  emitParallelFor(
      k, outer * channels, parallelGrain(inner), captures,
      [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin, Value *end) {
        IRBuilderBase &b = chunk.b;
        emitLoop(
            b, begin, end, b.getInt64(1),
            [&](IRBuilderBase &b, Value *row) {
              Value *c = b.CreateURem(row, b.getInt64(channels), "c");
              Value *base = b.CreateMul(row, b.getInt64(inner), "", true, true);
              emitLoop(
                  b, inner,
                  [&](IRBuilderBase &b, Value *i) {
                    body(chunk, captured, b,
                         b.CreateAdd(base, i, "", true, true), c);
                  },
                  "i");
            },
            "row");
      });
}

} // namespace qjit
