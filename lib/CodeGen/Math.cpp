//===- Math.cpp - Transcendental functions and activations ----------------===//
//
// The formulas of lib/Interpreter/Math.cpp, operation for operation:
//   Sigmoid(x)   = T(1) / (T(1) + exp(-x))
//   LeakyReLU(x) = x > 0 ? x : x * T(alpha)
//   GELU(x)      = x * T(0.5) * (T(1) + erf(x * T(M_SQRT1_2)))
//   GELU tanh(x) = T(0.5) * x * (T(1) + tanh(T(kBeta) * (x + T(0.044715) * x
//                  * x * x))), products left to right.
//
//===----------------------------------------------------------------------===//
#include "Math.h"
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include <cmath>

using namespace llvm;

namespace qjit {
namespace {

// The C name of a libm function for x's type: "tanh" -> "tanhf" on float.
std::string libmName(StringRef base, Type *type) {
  return type->isFloatTy() ? (base + "f").str() : base.str();
}

Value *constantLike(Value *x, double value) {
  return ConstantFP::get(x->getType(), value);
}

} // namespace

Value *emitSigmoid(IRBuilderBase &b, Value *x) {
  Value *one = constantLike(x, 1.0);
  return b.CreateFDiv(one, b.CreateFAdd(one, emitExp(b, b.CreateFNeg(x))));
}

Value *emitLeakyReLU(IRBuilderBase &b, const Operation &op, Value *x) {
  Value *scaled = b.CreateFMul(x, constantLike(x, getLeakyReLUAlpha(op)));
  return b.CreateSelect(b.CreateFCmpOGT(x, constantLike(x, 0.0)), x, scaled);
}

Value *emitGELU(IRBuilderBase &b, const Operation &op, Value *x) {
  Type *type = x->getType();
  Value *half = constantLike(x, 0.5), *one = constantLike(x, 1.0);
  if (!getGELUTanh(op)) {
    Value *erf = emitLibmCall(b, libmName("erf", type),
                              b.CreateFMul(x, constantLike(x, M_SQRT1_2)));
    return b.CreateFMul(b.CreateFMul(x, half), b.CreateFAdd(one, erf));
  }
  // sqrt(2 / pi), computed in double as PyTorch's kBeta.
  constexpr double kBeta = M_SQRT2 * M_2_SQRTPI * 0.5;
  Value *cubic = b.CreateFMul(
      b.CreateFMul(b.CreateFMul(constantLike(x, 0.044715), x), x), x);
  Value *inner = b.CreateFMul(constantLike(x, kBeta), b.CreateFAdd(x, cubic));
  Value *tanh = emitTanh(b, inner);
  return b.CreateFMul(b.CreateFMul(half, x), b.CreateFAdd(one, tanh));
}

Value *emitExp(IRBuilderBase &b, Value *x) {
  return b.CreateUnaryIntrinsic(Intrinsic::exp, x);
}

Value *emitLog(IRBuilderBase &b, Value *x) {
  return b.CreateUnaryIntrinsic(Intrinsic::log, x);
}

Value *emitLibmCall(IRBuilderBase &b, StringRef name, Value *x) {
  llvm::Module &module = *b.GetInsertBlock()->getModule();
  Type *type = x->getType();
  FunctionCallee callee =
      module.getOrInsertFunction(name, FunctionType::get(type, {type}, false));
  if (auto *fn = dyn_cast<Function>(callee.getCallee())) {
    fn->setDoesNotAccessMemory();
    fn->setDoesNotThrow();
    fn->setWillReturn();
  }
  CallInst *call = b.CreateCall(callee, {x});
  call->setDoesNotAccessMemory();
  call->setDoesNotThrow();
  return call;
}

Value *emitTanh(IRBuilderBase &b, Value *x) {
  return emitLibmCall(b, libmName("tanh", x->getType()), x);
}


} // namespace qjit
