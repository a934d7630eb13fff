//===- Kernel.cpp - Dispatching an op to its lowering ---------------------===//
#include "Kernel.h"
#include "Conv2D.h"
#include "FakeQuantEmitter.h"
#include "Gradients.h"
#include "qjit/IR/OpVisitor.h"
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

namespace {

// The scratch bytes an op's kernel needs beyond its buffers.
class ScratchSize : public OpVisitor<ScratchSize, uint64_t> {
public:
  explicit ScratchSize(const Graph &graph) : graph(graph) {}

  uint64_t visitFakeQuantization(const Operation &op) {
    return fakeQuantScratchBytes(graph, op);
  }
  uint64_t visitGradFakeQuantization(const Operation &op) {
    return fakeQuantScratchBytes(graph, op);
  }
  uint64_t visitGradient(const Operation &op) {
    return gradientScratchBytes(graph, op);
  }
  uint64_t visitReduction(const Operation &op) {
    return reductionScratchBytes(graph, op);
  }
  uint64_t visitNormalization(const Operation &op) {
    return softmaxScratchBytes(graph, op);
  }
  uint64_t visitPooling(const Operation &op) {
    return poolScratchBytes(graph, op);
  }
  uint64_t visitConv2D(const Operation &op) {
    return conv2DScratchBytes(graph, op);
  }
  uint64_t visitFusion(const Operation &op) {
    return fusedElementwiseScratchBytes(graph, op);
  }
  uint64_t visitQuantizedLinearAlgebra(const Operation &op) {
    return qlinearScratchBytes(graph, op);
  }
  // Elementwise, shape and value ops, MatMul, Quantize and Dequantize.
  uint64_t visitOp(const Operation &) { return 0; }

private:
  const Graph &graph;
};

// Emits the body of an op's kernel, by kind.
class KernelBodyEmitter : public OpVisitor<KernelBodyEmitter, void, Kernel &> {
public:
  void visitElementwiseBinary(const Operation &, Kernel &k) {
    emitElementwiseBinary(k);
  }
  void visitElementwiseUnary(const Operation &, Kernel &k) {
    emitElementwiseUnary(k);
  }
  void visitQuantize(const Operation &, Kernel &k) { emitQuantize(k); }
  void visitDequantize(const Operation &, Kernel &k) { emitDequantize(k); }
  void visitFakeQuantization(const Operation &, Kernel &k) {
    emitFakeQuantization(k);
  }
  void visitTranspose(const Operation &, Kernel &k) { emitTranspose(k); }
  void visitReshape(const Operation &, Kernel &k) { emitReshape(k); }
  void visitBroadcast(const Operation &, Kernel &k) { emitBroadcast(k); }
  void visitConcat(const Operation &, Kernel &k) { emitConcat(k); }
  void visitSlice(const Operation &, Kernel &k) { emitSlice(k); }
  void visitReduction(const Operation &, Kernel &k) { emitReduction(k); }
  void visitNormalization(const Operation &, Kernel &k) { emitSoftmax(k); }
  void visitPooling(const Operation &, Kernel &k) { emitPool2D(k); }
  void visitGradFakeQuantization(const Operation &, Kernel &k) {
    emitGradFakeQuantization(k);
  }
  void visitGradient(const Operation &, Kernel &k) { emitGradient(k); }
  void visitMatMul(const Operation &, Kernel &k) { emitMatMul(k); }
  void visitConv2D(const Operation &, Kernel &k) { emitConv2D(k); }
  void visitQuantizedLinearAlgebra(const Operation &, Kernel &k) {
    emitQLinear(k);
  }
  void visitFusion(const Operation &, Kernel &k) { emitFusedElementwise(k); }
  void visitConstant(const Operation &, Kernel &) {
    llvm_unreachable("constants are globals, not kernels");
  }
};

} // namespace

uint64_t kernelScratchBytes(const Graph &graph, const Operation &op) {
  return ScratchSize(graph).visit(op);
}

void emitKernelBody(Kernel &k) {
  KernelBodyEmitter().visit(k.op, k);
  k.b.CreateRetVoid();
}

} // namespace qjit
