//===- ElementwiseLoop.cpp - The loops of elementwise kernels -------------===//
#include "ElementwiseLoop.h"
#include "LoopBuilder.h"
#include "Math.h"
#include "Parallel.h"

using namespace llvm;

namespace qjit {
namespace {

class NestEmitter {
public:
  NestEmitter(const LoopNest &nest, ArrayRef<KernelBuffer> buffers,
              size_t numInputs, ElementBody body, MDNode *streamingGroup)
      : nest(nest), buffers(buffers), numInputs(numInputs), body(body),
        streamingGroup(streamingGroup) {}

  // Loop `level` and those inside it; `offsets` are the buffers' element
  // offsets at the start of the loop.
  void emit(IRBuilderBase &b, size_t level, ArrayRef<Value *> offsets,
            Value *begin, Value *end) {
    if (level + 1 < nest.dims.size()) {
      emitLoop(
          b, begin, end, b.getInt64(1),
          [&](IRBuilderBase &b, Value *iv) {
            SmallVector<Value *, 8> inner;
            for (size_t i = 0; i < buffers.size(); ++i)
              inner.push_back(advance(b, level, offsets[i], iv, i));
            emit(b, level + 1, inner, b.getInt64(0),
                 b.getInt64(nest.dims[level + 1]));
          },
          "d" + Twine(level));
      return;
    }
    // Innermost: every stride is 0 (loaded once, before the loop) or 1.
    SmallVector<Value *, 8> hoisted(numInputs, nullptr);
    for (size_t i = 0; i < numInputs; ++i)
      if (nest.strides[i][level] == 0)
        hoisted[i] = load(b, i, offsets[i]);
    if (!streamingGroup) {
      emitInnermost(b, level, buffers, offsets, hoisted, begin, end, nullptr);
      return;
    }
    // Up to output 0's first 64-byte boundary, then from there through
    // buffers rebased to it, whose output 0 is known to be aligned.
    const KernelBuffer &out = buffers[numInputs];
    Value *size = b.getInt64(dataTypeSize(out.type.elementType));
    Value *address = b.CreateAdd(
        b.CreatePtrToInt(out.ptr, b.getInt64Ty()),
        b.CreateMul(advance(b, level, offsets[numInputs], begin, numInputs),
                    size));
    Value *misalignment = b.CreateAnd(b.CreateNeg(address), b.getInt64(63));
    Value *aligned = b.CreateBinaryIntrinsic(
        Intrinsic::smin, b.CreateAdd(begin, b.CreateUDiv(misalignment, size)),
        end);
    emitInnermost(b, level, buffers, offsets, hoisted, begin, aligned,
                  nullptr);
    SmallVector<KernelBuffer, 8> rebased(buffers.begin(), buffers.end());
    SmallVector<Value *, 8> zeros(buffers.size(), b.getInt64(0));
    for (size_t i = 0; i < buffers.size(); ++i)
      if (!(i < numInputs && hoisted[i]))
        rebased[i].ptr =
            elementPtr(b, buffers[i].type.elementType, buffers[i].ptr,
                       advance(b, level, offsets[i], aligned, i));
    llvm::Module &module = *b.GetInsertBlock()->getModule();
    b.CreateAlignmentAssumption(module.getDataLayout(),
                                rebased[numInputs].ptr, 64);
    emitInnermost(b, level, rebased, zeros, hoisted, b.getInt64(0),
                  b.CreateSub(end, aligned), streamingGroup);
  }

private:
  // The innermost loop over [begin, end) of `loopBuffers`, whose element
  // offsets at iteration 0 are `offsets`; stores into the outputs are tagged
  // with `group` if not null.
  void emitInnermost(IRBuilderBase &b, size_t level,
                     ArrayRef<KernelBuffer> loopBuffers,
                     ArrayRef<Value *> offsets, ArrayRef<Value *> hoisted,
                     Value *begin, Value *end, MDNode *group) const {
    emitLoop(
        b, begin, end, b.getInt64(1),
        [&](IRBuilderBase &b, Value *iv) {
          SmallVector<Value *, 8> inputs;
          for (size_t i = 0; i < numInputs; ++i)
            inputs.push_back(
                hoisted[i] ? hoisted[i]
                           : load(b, loopBuffers[i],
                                  advance(b, level, offsets[i], iv, i)));
          SmallVector<Value *, 4> outputs;
          body(b, inputs, outputs);
          assert(outputs.size() == buffers.size() - numInputs &&
                 "one value per output");
          for (size_t r = 0; r < outputs.size(); ++r) {
            size_t i = numInputs + r;
            StoreInst *store = b.CreateStore(
                outputs[r], elementPtr(b, loopBuffers[i].type.elementType,
                                       loopBuffers[i].ptr,
                                       advance(b, level, offsets[i], iv, i)));
            if (group)
              store->setMetadata(LLVMContext::MD_access_group, group);
          }
        },
        "d" + Twine(level));
  }

private:
  Value *advance(IRBuilderBase &b, size_t level, Value *offset, Value *iv,
                 size_t buffer) const {
    int64_t stride = nest.strides[buffer][level];
    if (stride == 0)
      return offset;
    return b.CreateAdd(offset,
                       b.CreateMul(iv, b.getInt64(stride), "", true, true), "",
                       true, true);
  }
  Value *load(IRBuilderBase &b, size_t buffer, Value *offset) const {
    return load(b, buffers[buffer], offset);
  }
  static Value *load(IRBuilderBase &b, const KernelBuffer &buffer,
                     Value *offset) {
    DataType type = buffer.type.elementType;
    return b.CreateLoad(elementLLVMType(b.getContext(), type),
                        elementPtr(b, type, buffer.ptr, offset));
  }

  const LoopNest &nest;
  ArrayRef<KernelBuffer> buffers;
  size_t numInputs;
  ElementBody body;
  MDNode *streamingGroup;
};

} // namespace

void emitElementwiseLoop(IRBuilderBase &b, const LoopNest &nest,
                         ArrayRef<KernelBuffer> buffers, size_t numInputs,
                         Value *begin, Value *end, ElementBody body,
                         bool streaming) {
  llvm::Module &module = *b.GetInsertBlock()->getModule();
  // Only whole rows of output 0 can be aligned, and only an innermost loop
  // that walks it.
  streaming &= nest.strides[numInputs].back() == 1;
  MDNode *group = streaming ? streamingAccessGroup(module) : nullptr;
  SmallVector<Value *, 8> zeros(buffers.size(), b.getInt64(0));
  NestEmitter(nest, buffers, numInputs, body, group)
      .emit(b, 0, zeros, begin, end);
  // Streaming stores are weakly ordered: fenced before whoever reads the
  // outputs next (another thread after the join, or the next kernel).
  if (streaming)
    emitStreamingFence(b);
}

bool streamsOutputs(uint64_t outputBytes, ArrayRef<OpKind> ops) {
  return outputBytes >= kStreamingStoreBytes &&
         none_of(ops, [](OpKind kind) { return callsMathLibrary(kind); });
}

} // namespace qjit
