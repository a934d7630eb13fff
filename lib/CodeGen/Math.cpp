//===- Math.cpp - Float-only functions and activations, and gradients -----===//
//
// The formulas of lib/Interpreter/Math.cpp (which lists them), operation for
// operation: the FloatOnly unary ops and the Grad ops of those that have
// one. Products left to right, max/min as selects that let NaN through.
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

Value *emitGeluGradient(IRBuilderBase &b, Value *dy, Value *x,
                        bool approximate) {
  auto c = [&](double v) { return constantLike(x, v); };
  if (!approximate) {
    // dy * (cdf + x * pdf)
    Value *erf = emitLibmCall(b, libmName("erf", x->getType()),
                              b.CreateFMul(x, c(M_SQRT1_2)));
    Value *cdf = b.CreateFMul(c(0.5), b.CreateFAdd(c(1.0), erf));
    Value *pdf =
        b.CreateFMul(c(M_2_SQRTPI * M_SQRT1_2 * 0.5),
                     emitExp(b, b.CreateFMul(b.CreateFMul(x, x), c(-0.5))));
    return b.CreateFMul(dy, b.CreateFAdd(cdf, b.CreateFMul(x, pdf)));
  }
  const double kBeta = M_SQRT2 * M_2_SQRTPI * 0.5;
  Value *kKappa = c(0.044715);
  Value *xSquare = b.CreateFMul(x, x);
  Value *xCube = b.CreateFMul(xSquare, x);
  Value *inner =
      b.CreateFMul(c(kBeta), b.CreateFAdd(x, b.CreateFMul(kKappa, xCube)));
  Value *tanhInner = emitLibmCall(b, libmName("tanh", x->getType()), inner);
  Value *left = b.CreateFMul(c(0.5), x);
  Value *right = b.CreateFAdd(c(1.0), tanhInner);
  Value *leftDerivative = b.CreateFMul(c(0.5), right);
  Value *tanhDerivative =
      b.CreateFSub(c(1.0), b.CreateFMul(tanhInner, tanhInner));
  Value *innerDerivative = b.CreateFMul(
      c(kBeta), b.CreateFAdd(c(1.0), b.CreateFMul(b.CreateFMul(c(3.0), kKappa),
                                                  xSquare)));
  Value *rightDerivative =
      b.CreateFMul(b.CreateFMul(left, tanhDerivative), innerDerivative);
  return b.CreateFMul(dy, b.CreateFAdd(leftDerivative, rightDerivative));
}

} // namespace

static Value *emitSigmoid(IRBuilderBase &b, Value *x) {
  Value *one = constantLike(x, 1.0);
  return b.CreateFDiv(one, b.CreateFAdd(one, emitExp(b, b.CreateFNeg(x))));
}

static Value *emitLeakyReLU(IRBuilderBase &b, const Operation &op, Value *x) {
  Value *scaled = b.CreateFMul(x, constantLike(x, getLeakyReLUAlpha(op)));
  return b.CreateSelect(b.CreateFCmpOGT(x, constantLike(x, 0.0)), x, scaled);
}

static Value *emitGELU(IRBuilderBase &b, const Operation &op, Value *x) {
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

// min(max(x + 3, 0), 6): ordered compares let NaN through.
Value *emitRelu6OfXPlus3(IRBuilderBase &b, Value *x) {
  Value *zero = constantLike(x, 0.0), *six = constantLike(x, 6.0);
  Value *r = b.CreateFAdd(x, constantLike(x, 3.0));
  r = b.CreateSelect(b.CreateFCmpOLT(r, zero), zero, r);
  return b.CreateSelect(b.CreateFCmpOGT(r, six), six, r);
}

Value *emitMathElement(IRBuilderBase &b, const Operation &op, Value *x) {
  OpKind kind = op.getKind();
  if (kind == OpKind::Exp)
    return emitExp(b, x);
  if (kind == OpKind::Log)
    return emitLog(b, x);
  if (kind == OpKind::Sqrt)
    return b.CreateUnaryIntrinsic(Intrinsic::sqrt, x);
  if (kind == OpKind::Sigmoid)
    return emitSigmoid(b, x);
  if (kind == OpKind::Tanh)
    return emitTanh(b, x);
  if (kind == OpKind::LeakyReLU)
    return emitLeakyReLU(b, op, x);
  if (kind == OpKind::GELU)
    return emitGELU(b, op, x);
  Value *six = constantLike(x, 6.0);
  if (kind == OpKind::HardSigmoid)
    return b.CreateFDiv(emitRelu6OfXPlus3(b, x), six);
  if (kind == OpKind::HardSwish)
    return b.CreateFDiv(b.CreateFMul(x, emitRelu6OfXPlus3(b, x)), six);
  llvm_unreachable("not a float-only unary op");
}

Value *emitMathGradient(IRBuilderBase &b, const Operation &op, Value *dy,
                        Value *x) {
  OpKind kind = op.getKind();
  Value *zero = constantLike(x, 0.0);
  auto c = [&](double v) { return constantLike(x, v); };
  if (kind == OpKind::GradLeakyReLU) {
    Value *scaled = b.CreateFMul(dy, c(getLeakyReLUAlpha(op)));
    return b.CreateSelect(b.CreateFCmpOGT(x, zero), dy, scaled);
  }
  if (kind == OpKind::GradGELU)
    return emitGeluGradient(b, dy, x, getGELUTanh(op));
  if (kind == OpKind::GradHardSigmoid) {
    Value *inside = b.CreateAnd(b.CreateFCmpOGT(x, c(-3.0)),
                                b.CreateFCmpOLT(x, c(3.0)));
    return b.CreateSelect(inside, b.CreateFMul(dy, c(1.0f / 6.0f)), zero);
  }
  if (kind == OpKind::GradHardSwish) {
    Value *slope =
        b.CreateFMul(dy, b.CreateFAdd(b.CreateFDiv(x, c(3.0)), c(0.5)));
    Value *upper = b.CreateSelect(b.CreateFCmpOGE(x, c(3.0)), dy, slope);
    return b.CreateSelect(b.CreateFCmpOLT(x, c(-3.0)), zero, upper);
  }
  llvm_unreachable("not the gradient of a float-only unary op");
}

bool callsMathLibrary(OpKind kind) {
  // A gradient's formula is built from its forward op's functions.
  if (std::optional<OpKind> forward = getOpInfo(kind).forward)
    kind = *forward;
  switch (kind) {
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Power:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::GELU:
    return true;
  default:
    return false;
  }
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
