//===- FakeQuantization.cpp - Lowering of the forward pass ----------------===//
//
//   y = (clamp(roundeven(x * fl(1/s)) + zp, qmin, qmax) - zp) * s
//
// The clamp is select(qf > qmin, qf, qmin) then select(q < qmax, q, qmax),
// which maps NaN to qmin and lowers to vmaxps/vminps. A second result is
// the mask qmin <= qf <= qmax (Bool), stored in the same loop. Large
// tensors are split over threads (Parallel.h).
//
//===----------------------------------------------------------------------===//
#include "FakeQuantEmitter.h"

using namespace llvm;

namespace qjit {

void emitFakeQuantization(Kernel &k) {
  FakeQuantEmitter emitter(k);
  emitter.emitParams();
  DataType type = k.results[0].type.elementType;
  emitter.forEachElementParallel([&](IRBuilderBase &b, Kernel &chunk,
                                     Value *index, Value *,
                                     const QuantParams &p) {
    Value *xv = emitter.loadInput(b, chunk, index);
    Value *qf = emitter.emitGridValue(b, xv, p);
    b.CreateStore(emitter.emitDequantized(b, emitter.emitLevel(b, qf), p),
                  elementPtr(b, type, chunk.results[0].ptr, index));
    // With two results the mask comes out of the same pass over x.
    if (chunk.results.size() == 2)
      b.CreateStore(b.CreateZExt(emitter.emitInRange(b, qf), b.getInt8Ty()),
                    elementPtr(b, DataType::Bool, chunk.results[1].ptr, index));
  });
}

} // namespace qjit
