//===- GradientLowering.h - Lowering of the Grad<Op> ops --------*- C++ -*-===//
//
// The gradient ops of the autodiff pass (GradReLU ... GradSlice in Ops.def),
// with the interpreter's formulas and, wherever the interpreter sums, its
// order of summation (lib/Interpreter/Gradients.cpp):
//   Gradients.cpp         elementwise gradients, GradMaximum/Minimum,
//                         GradReduceMax/Min, GradSlice
//   GradientsSpatial.cpp  GradMaxPool2D, GradAvgPool2D, GradConv2DInput,
//                         GradConv2DWeight
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_GRADIENTLOWERING_H
#define QJIT_LIB_CODEGEN_GRADIENTLOWERING_H

#include "Kernel.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <cassert>

namespace qjit {

// Every Grad<Op> but GradFakeQuantization.
void emitGradient(Kernel &k);
uint64_t gradientScratchBytes(const Graph &graph, const Operation &op);

// In GradientsSpatial.cpp.
void emitPoolGradient(Kernel &k);
void emitConvGradient(Kernel &k);

// Shared by the two files: for every index of `dims` in row-major order,
// calls body with each buffer's element offset base[k] + sum_d i_d *
// strides[k][d].
using OffsetsBody = llvm::function_ref<void(llvm::IRBuilderBase &,
                                            llvm::ArrayRef<llvm::Value *>)>;
void emitStridedNest(llvm::IRBuilderBase &b, llvm::ArrayRef<int64_t> dims,
                     llvm::ArrayRef<Shape> strides,
                     llvm::ArrayRef<int64_t> bases, OffsetsBody body);
// Stores zeros over a whole buffer.
void emitZeroFill(llvm::IRBuilderBase &b, const KernelBuffer &buffer);

// Counted loops opened and closed in sequence, so that deep nests read
// top to bottom: open() emits the guard and the header of
// `for (iv = begin; iv < end; ++iv)` and returns iv, close() the latch of
// the innermost open loop (LoopBuilder.h's rotated form).
class LoopStack {
public:
  explicit LoopStack(llvm::IRBuilderBase &b) : b(b) {}
  ~LoopStack() { assert(open_.empty() && "loops left open"); }
  llvm::Value *open(llvm::Value *begin, llvm::Value *end,
                    const llvm::Twine &name);
  llvm::Value *open(int64_t begin, int64_t end, const llvm::Twine &name) {
    return open(b.getInt64(begin), b.getInt64(end), name);
  }
  void close();

private:
  struct Loop {
    llvm::PHINode *iv;
    llvm::Value *end;
    llvm::BasicBlock *body, *exit;
  };
  llvm::IRBuilderBase &b;
  llvm::SmallVector<Loop, 8> open_;
};

} // namespace qjit

#endif
