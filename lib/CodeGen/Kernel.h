//===- Kernel.h - One op lowered to one LLVM function -----------*- C++ -*-===//
//
// Every op (but Constant) becomes an internal function
//
//   void kernel(ptr noalias operand..., ptr noalias result..., ptr scratch)
//
// called once from the entry. The noalias parameters carry the fact that
// buffers never overlap into the loops (and, once inlined, into scoped alias
// metadata), which is what lets the loops vectorize without run-time checks.
// `scratch` is kernelScratchBytes() bytes of workspace, 64-byte aligned,
// private to the call. A kernel of more than kManyKernelBuffers buffers
// takes them through a table instead:
//
//   void kernel(ptr noalias table, ptr scratch)
//
// where `table` holds the operand pointers, then the result pointers.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_KERNEL_H
#define QJIT_LIB_CODEGEN_KERNEL_H

#include "qjit/IR/Graph.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace qjit {

struct KernelBuffer {
  TensorType type;
  llvm::Value *ptr = nullptr;
};

struct Kernel {
  const Graph &graph;
  const Operation &op;
  llvm::Module &module;
  llvm::IRBuilder<> &b;
  llvm::SmallVector<KernelBuffer, 4> operands;
  llvm::SmallVector<KernelBuffer, 3> results;
  llvm::Value *scratch = nullptr;
  // The buffer table of a kernel of many buffers (each KernelBuffer's ptr
  // is then a load from it), else null.
  llvm::Value *bufferTable = nullptr;
};

// Kernels with more buffers than this (a Concat of many operands) take them
// through a table and are never inlined into the entry: a call with
// thousands of arguments, and once inlined thousands of noalias scopes on
// every memory access, made LLVM's pipeline quadratic in their number.
constexpr unsigned kManyKernelBuffers = 64;

// The LLVM type of one element (Bool is i8 holding 0 or 1).
llvm::Type *elementLLVMType(llvm::LLVMContext &ctx, DataType type);

// Bytes of scratch the kernel of `op` needs (0 for most ops).
uint64_t kernelScratchBytes(const Graph &graph, const Operation &op);

// Emits the body of `k`'s function at the builder's insertion point (the
// entry block of the kernel), ending with `ret void`.
void emitKernelBody(Kernel &k);

// The per-op-family lowerings emitKernelBody dispatches to.
void emitElementwiseBinary(Kernel &k);
void emitElementwiseUnary(Kernel &k);
void emitFakeQuantization(Kernel &k);
void emitGradFakeQuantization(Kernel &k);
void emitMatMul(Kernel &k);
void emitConv2D(Kernel &k);
void emitQuantize(Kernel &k);
void emitDequantize(Kernel &k);
void emitTranspose(Kernel &k);
void emitReshape(Kernel &k);
void emitBroadcast(Kernel &k);
void emitConcat(Kernel &k);
void emitSlice(Kernel &k);
// ReduceSum, ReduceMean, ReduceMax and ReduceMin.
void emitReduction(Kernel &k);
// Softmax and LogSoftmax.
void emitSoftmax(Kernel &k);
// MaxPool2D and AvgPool2D.
void emitPool2D(Kernel &k);
// QLinearMatMul and QLinearConv2D (runtime kernels, lib/Runtime/QGemm.h).
void emitQLinear(Kernel &k);
uint64_t qlinearScratchBytes(const Graph &graph, const Operation &op);
// A QLinear op whose weights (and bias, if any) are Constants has them
// packed at compile time: the entry passes the packed bytes (and column
// offsets) in place of the weights, operand prepackedOperand(op). The same
// holds for a FusedElementwise op whose body starts with such a QLinear op.
bool hasPrepackedWeights(const Graph &graph, const Operation &op);
unsigned prepackedOperand(const Operation &op);
llvm::Expected<std::shared_ptr<const DenseData>>
prepackQLinearWeights(const Graph &graph, const Operation &op);
// A FusedElementwise op's body, one loop.
void emitFusedElementwise(Kernel &k);
uint64_t fusedElementwiseScratchBytes(const Graph &graph, const Operation &op);

// The scratch bytes of the families that need some.
uint64_t reductionScratchBytes(const Graph &graph, const Operation &op);
uint64_t softmaxScratchBytes(const Graph &graph, const Operation &op);
uint64_t poolScratchBytes(const Graph &graph, const Operation &op);

// A pointer to element `index` (i64) of a buffer of `type`.
llvm::Value *elementPtr(llvm::IRBuilderBase &b, DataType type,
                        llvm::Value *base, llvm::Value *index);

} // namespace qjit

#endif
