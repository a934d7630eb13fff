//===- FakeQuantization.cpp - Lowering of the forward pass ----------------===//
//
//   y = (clamp(roundeven(x * fl(1/s)) + zp, qmin, qmax) - zp) * s
//
// The clamp is select(qf > qmin, qf, qmin) then select(q < qmax, q, qmax),
// which maps NaN to qmin and lowers to vmaxps/vminps. A second result is
// the mask qmin <= qf <= qmax (Bool), stored in the same loop.
//
//===----------------------------------------------------------------------===//
#include "FakeQuantLowering.h"

using namespace llvm;

namespace qjit {

void emitFakeQuantization(Kernel &k) {
  FakeQuantEmitter emitter(k);
  emitter.emitParams();
  DataType type = k.results[0].type.elementType;
  Type *elemTy = emitter.getElementType();
  Value *y = k.results[0].ptr;
  // With two results the mask comes out of the same pass over x.
  Value *mask = k.results.size() == 2 ? k.results[1].ptr : nullptr;
  emitter.forEachElement(
      [&](IRBuilderBase &b, Value *index, Value *, const QuantParams &p) {
        Value *xv =
            b.CreateLoad(elemTy, elementPtr(b, type, emitter.input(), index));
        Value *qf = emitter.emitGridValue(b, xv, p);
        b.CreateStore(emitter.emitDequantized(b, emitter.emitLevel(b, qf), p),
                      elementPtr(b, type, y, index));
        if (mask)
          b.CreateStore(b.CreateZExt(emitter.emitInRange(b, qf), b.getInt8Ty()),
                        elementPtr(b, DataType::Bool, mask, index));
      });
}

} // namespace qjit
