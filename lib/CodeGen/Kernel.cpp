//===- Kernel.cpp - Dispatching an op to its lowering ---------------------===//
#include "Kernel.h"
#include "Conv2D.h"
#include "FakeQuantEmitter.h"
#include "Gradients.h"
#include "llvm/Support/ErrorHandling.h"

using namespace llvm;

namespace qjit {

Type *elementLLVMType(LLVMContext &ctx, DataType type) {
  switch (type) {
  case DataType::Float32:
    return Type::getFloatTy(ctx);
  case DataType::Float64:
    return Type::getDoubleTy(ctx);
  case DataType::Int8:
  case DataType::UInt8:
  case DataType::Bool:
    return Type::getInt8Ty(ctx);
  case DataType::Int16:
    return Type::getInt16Ty(ctx);
  case DataType::Int32:
    return Type::getInt32Ty(ctx);
  case DataType::Int64:
    return Type::getInt64Ty(ctx);
  }
  llvm_unreachable("unknown data type");
}

Value *elementPtr(IRBuilderBase &b, DataType type, Value *base, Value *index) {
  return b.CreateInBoundsGEP(elementLLVMType(b.getContext(), type), base,
                             index);
}

uint64_t kernelScratchBytes(const Graph &graph, const Operation &op) {
  switch (op.getKind()) {
  case OpKind::Add:
  case OpKind::Subtract:
  case OpKind::Multiply:
  case OpKind::Divide:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Power:
  case OpKind::Negate:
  case OpKind::Abs:
  case OpKind::ReLU:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Square:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::LeakyReLU:
  case OpKind::GELU:
  case OpKind::Clamp:
  case OpKind::Quantize:
  case OpKind::Dequantize:
  case OpKind::Transpose:
  case OpKind::Reshape:
  case OpKind::Broadcast:
  case OpKind::Concat:
  case OpKind::Slice:
  case OpKind::Constant:
    return 0;
  case OpKind::FakeQuantization:
  case OpKind::GradFakeQuantization:
    return fakeQuantScratchBytes(graph, op);
  case OpKind::GradReLU:
  case OpKind::GradAbs:
  case OpKind::GradLeakyReLU:
  case OpKind::GradGELU:
  case OpKind::GradClamp:
  case OpKind::GradMaximum:
  case OpKind::GradMinimum:
  case OpKind::GradConv2DInput:
  case OpKind::GradConv2DWeight:
  case OpKind::GradMaxPool2D:
  case OpKind::GradAvgPool2D:
  case OpKind::GradReduceMax:
  case OpKind::GradReduceMin:
  case OpKind::GradSlice:
    return gradientScratchBytes(graph, op);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return reductionScratchBytes(graph, op);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return softmaxScratchBytes(graph, op);
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    return poolScratchBytes(graph, op);
  case OpKind::MatMul:
    return 0;
  case OpKind::Conv2D:
    return conv2DScratchBytes(graph, op);
  case OpKind::FusedElementwise:
    return fusedElementwiseScratchBytes(graph, op);
  }
  llvm_unreachable("unknown op kind");
}

void emitKernelBody(Kernel &k) {
  switch (k.op.getKind()) {
  case OpKind::Add:
  case OpKind::Subtract:
  case OpKind::Multiply:
  case OpKind::Divide:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Power:
    emitElementwiseBinary(k);
    break;
  case OpKind::Negate:
  case OpKind::Abs:
  case OpKind::ReLU:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Square:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::LeakyReLU:
  case OpKind::GELU:
  case OpKind::Clamp:
    emitElementwiseUnary(k);
    break;
  case OpKind::Quantize:
    emitQuantize(k);
    break;
  case OpKind::Dequantize:
    emitDequantize(k);
    break;
  case OpKind::Transpose:
    emitTranspose(k);
    break;
  case OpKind::Reshape:
    emitReshape(k);
    break;
  case OpKind::Broadcast:
    emitBroadcast(k);
    break;
  case OpKind::Concat:
    emitConcat(k);
    break;
  case OpKind::Slice:
    emitSlice(k);
    break;
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    emitReduction(k);
    break;
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    emitSoftmax(k);
    break;
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    emitPool2D(k);
    break;
  case OpKind::FakeQuantization:
    emitFakeQuantization(k);
    break;
  case OpKind::GradFakeQuantization:
    emitGradFakeQuantization(k);
    break;
  case OpKind::GradReLU:
  case OpKind::GradAbs:
  case OpKind::GradLeakyReLU:
  case OpKind::GradGELU:
  case OpKind::GradClamp:
  case OpKind::GradMaximum:
  case OpKind::GradMinimum:
  case OpKind::GradConv2DInput:
  case OpKind::GradConv2DWeight:
  case OpKind::GradMaxPool2D:
  case OpKind::GradAvgPool2D:
  case OpKind::GradReduceMax:
  case OpKind::GradReduceMin:
  case OpKind::GradSlice:
    emitGradient(k);
    break;
  case OpKind::MatMul:
    emitMatMul(k);
    break;
  case OpKind::Conv2D:
    emitConv2D(k);
    break;
  case OpKind::FusedElementwise:
    emitFusedElementwise(k);
    break;
  case OpKind::Constant:
    llvm_unreachable("constants are globals, not kernels");
  }
  k.b.CreateRetVoid();
}

} // namespace qjit
