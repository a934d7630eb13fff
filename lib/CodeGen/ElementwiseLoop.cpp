//===- ElementwiseLoop.cpp - The loops of elementwise kernels -------------===//
#include "ElementwiseLoop.h"
#include "LoopBuilder.h"

using namespace llvm;

namespace qjit {
namespace {

class NestEmitter {
public:
  NestEmitter(const LoopNest &nest, ArrayRef<KernelBuffer> buffers,
              size_t numInputs, ElementBody body)
      : nest(nest), buffers(buffers), numInputs(numInputs), body(body) {}

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
    emitLoop(
        b, begin, end, b.getInt64(1),
        [&](IRBuilderBase &b, Value *iv) {
          SmallVector<Value *, 8> inputs;
          for (size_t i = 0; i < numInputs; ++i)
            inputs.push_back(hoisted[i] ? hoisted[i]
                                        : load(b, i, advance(b, level,
                                                             offsets[i], iv,
                                                             i)));
          SmallVector<Value *, 4> outputs;
          body(b, inputs, outputs);
          assert(outputs.size() == buffers.size() - numInputs &&
                 "one value per output");
          for (size_t r = 0; r < outputs.size(); ++r) {
            size_t i = numInputs + r;
            b.CreateStore(outputs[r],
                          elementPtr(b, buffers[i].type.elementType,
                                     buffers[i].ptr,
                                     advance(b, level, offsets[i], iv, i)));
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
    DataType type = buffers[buffer].type.elementType;
    return b.CreateLoad(elementLLVMType(b.getContext(), type),
                        elementPtr(b, type, buffers[buffer].ptr, offset));
  }

  const LoopNest &nest;
  ArrayRef<KernelBuffer> buffers;
  size_t numInputs;
  ElementBody body;
};

} // namespace

void emitElementwiseLoop(IRBuilderBase &b, const LoopNest &nest,
                         ArrayRef<KernelBuffer> buffers, size_t numInputs,
                         Value *begin, Value *end, ElementBody body) {
  SmallVector<Value *, 8> zeros(buffers.size(), b.getInt64(0));
  NestEmitter(nest, buffers, numInputs, body).emit(b, 0, zeros, begin, end);
}

} // namespace qjit
