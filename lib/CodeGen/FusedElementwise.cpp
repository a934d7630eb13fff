//===- FusedElementwise.cpp - A fused body as one loop --------------------===//
//
// The kernel of a FusedElementwise op: the parameters of its fake
// quantizations in the prologue, then one loop nest over the iteration shape
// (collapsed as for a broadcasting op) whose innermost body loads each input
// read as elements (hoisted when broadcast), evaluates the body's ops in
// order with the very formulas of their own kernels (ElementLowering.h,
// FakeQuantEmitter), and stores the results. Values in the loop are kept in
// their memory form (Bool as i8 0 or 1), so a mask flows from the forward
// fake quantization to its gradient exactly as through memory.
//
//===----------------------------------------------------------------------===//
#include "Broadcast.h"
#include "ElementLowering.h"
#include "FakeQuantLowering.h"
#include "LoopBuilder.h"
#include "qjit/IR/Fusion.h"
#include "llvm/ADT/DenseMap.h"
#include <deque>
#include <memory>

using namespace llvm;

namespace qjit {
namespace {

using ValueMap = DenseMap<ValueId, Value *>;

class FusedLowering {
public:
  explicit FusedLowering(Kernel &k) : k(k), body(*k.op.getBody()) {}

  void emit();

private:
  void emitParameters();
  SmallVector<TensorType, 4> operandTypes(const Operation &op) const {
    SmallVector<TensorType, 4> types;
    for (ValueId v : op.getOperands())
      types.push_back(body.getType(v));
    return types;
  }
  // The buffers the loop walks: the inputs read as elements, then the
  // results. Returns how many are inputs.
  size_t collectBuffers(SmallVectorImpl<KernelBuffer> &buffers,
                        SmallVectorImpl<ValueId> &ids);
  void emitNest(IRBuilderBase &b, const LoopNest &nest, size_t level,
                ArrayRef<KernelBuffer> buffers, ArrayRef<ValueId> inputIds,
                SmallVector<Value *, 8> offsets);
  // The body's ops on one element; `values` holds the inputs and receives
  // every result.
  void emitBody(IRBuilderBase &b, ValueMap &values);
  void emitOp(IRBuilderBase &b, const Operation &op, ValueMap &values);

  Kernel &k;
  const Graph &body;
  // Views of the fake quantizations as kernels of their own (their scale and
  // zero point operands are this kernel's buffers), for their emitters.
  std::deque<Kernel> parameterKernels;
  DenseMap<const Operation *, std::unique_ptr<FakeQuantEmitter>> emitters;
};

void FusedLowering::emitParameters() {
  ArrayRef<ValueId> inputs = body.getInputs();
  for (const Operation &op : body.getOps()) {
    if (!FakeQuantizationOp::classof(op) ||
        FakeQuantizationOp::isMaskForm(operandTypes(op)))
      continue; // the mask form of the gradient has no parameters
    Kernel &view = parameterKernels.emplace_back(
        Kernel{body, op, k.module, k.b, {}, {}, nullptr});
    for (ValueId v : op.getOperands()) {
      const auto *it = llvm::find(inputs, v);
      Value *ptr = it == inputs.end() ? nullptr
                                      : k.operands[it - inputs.begin()].ptr;
      view.operands.push_back({body.getType(v), ptr});
    }
    for (ValueId v : op.getResults())
      view.results.push_back({body.getType(v), nullptr});
    auto emitter = std::make_unique<FakeQuantEmitter>(view);
    emitter->emitParams();
    emitters[&op] = std::move(emitter);
  }
}

size_t FusedLowering::collectBuffers(SmallVectorImpl<KernelBuffer> &buffers,
                                     SmallVectorImpl<ValueId> &ids) {
  ArrayRef<ValueId> inputs = body.getInputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    bool readAsElements = llvm::any_of(body.getOps(), [&](const Operation &op) {
      SmallVector<unsigned, 2> params = parameterOperands(op);
      for (unsigned p = 0; p < op.getNumOperands(); ++p)
        if (op.getOperand(p) == inputs[i] && !llvm::is_contained(params, p))
          return true;
      return false;
    });
    if (readAsElements) {
      buffers.push_back(k.operands[i]);
      ids.push_back(inputs[i]);
    }
  }
  size_t numInputs = buffers.size();
  buffers.append(k.results.begin(), k.results.end());
  return numInputs;
}

void FusedLowering::emit() {
  emitParameters();
  SmallVector<KernelBuffer, 8> buffers;
  SmallVector<ValueId, 8> inputIds;
  collectBuffers(buffers, inputIds);
  SmallVector<ArrayRef<int64_t>, 8> shapes;
  for (const KernelBuffer &buffer : buffers)
    shapes.push_back(buffer.type.shape);
  LoopNest nest = collapseBroadcast(k.results[0].type.shape, shapes);
  SmallVector<Value *, 8> zeros(buffers.size(), k.b.getInt64(0));
  emitNest(k.b, nest, 0, buffers, inputIds, zeros);
}

void FusedLowering::emitNest(IRBuilderBase &b, const LoopNest &nest,
                             size_t level, ArrayRef<KernelBuffer> buffers,
                             ArrayRef<ValueId> inputIds,
                             SmallVector<Value *, 8> offsets) {
  size_t numInputs = inputIds.size();
  auto advance = [&](Value *offset, Value *iv, size_t buffer) -> Value * {
    int64_t stride = nest.strides[buffer][level];
    if (stride == 0)
      return offset;
    return b.CreateAdd(offset,
                       b.CreateMul(iv, b.getInt64(stride), "", true, true), "",
                       true, true);
  };
  auto load = [&](size_t buffer, Value *offset) -> Value * {
    DataType type = buffers[buffer].type.elementType;
    return b.CreateLoad(elementLLVMType(b.getContext(), type),
                        elementPtr(b, type, buffers[buffer].ptr, offset));
  };

  if (level + 1 < nest.dims.size()) {
    emitLoop(
        b, nest.dims[level],
        [&](IRBuilderBase &b, Value *iv) {
          SmallVector<Value *, 8> inner;
          for (size_t i = 0; i < buffers.size(); ++i)
            inner.push_back(advance(offsets[i], iv, i));
          emitNest(b, nest, level + 1, buffers, inputIds, inner);
        },
        "d" + Twine(level));
    return;
  }

  // Innermost: every stride is 0 (broadcast: loaded once, outside) or 1.
  ValueMap hoisted;
  for (size_t i = 0; i < numInputs; ++i)
    if (nest.strides[i][level] == 0)
      hoisted[inputIds[i]] = load(i, offsets[i]);
  emitLoop(
      b, nest.dims[level],
      [&](IRBuilderBase &b, Value *iv) {
        ValueMap values = hoisted;
        for (size_t i = 0; i < numInputs; ++i)
          if (!values.count(inputIds[i]))
            values[inputIds[i]] = load(i, advance(offsets[i], iv, i));
        emitBody(b, values);
        ArrayRef<ValueId> outputs = body.getOutputs();
        for (size_t r = 0; r < outputs.size(); ++r) {
          size_t buffer = numInputs + r;
          b.CreateStore(values.lookup(outputs[r]),
                        elementPtr(b, buffers[buffer].type.elementType,
                                   buffers[buffer].ptr,
                                   advance(offsets[buffer], iv, buffer)));
        }
      },
      "d" + Twine(level));
}

void FusedLowering::emitBody(IRBuilderBase &b, ValueMap &values) {
  for (const Operation &op : body.getOps())
    emitOp(b, op, values);
}

void FusedLowering::emitOp(IRBuilderBase &b, const Operation &op,
                           ValueMap &values) {
  auto in = [&](unsigned i) { return values.lookup(op.getOperand(i)); };
  DataType type = body.getType(op.getResult()).elementType;
  auto define = [&](unsigned r, Value *v) { values[op.getResult(r)] = v; };
  OpKind kind = op.getKind();
  OpCategory category = getOpInfo(kind).category;

  if (category == OpCategory::ElementwiseBinary)
    return define(0, emitBinaryElement(b, kind, type, in(0), in(1)));
  if (category == OpCategory::ElementwiseUnary)
    return define(0, emitUnaryElement(b, op, type, in(0)));
  if (kind == OpKind::GradMaximum || kind == OpKind::GradMinimum) {
    auto [da, db] = emitMinMaxGradientElement(b, kind == OpKind::GradMaximum,
                                              in(0), in(1), in(2));
    define(0, da);
    return define(1, db);
  }
  if (kind == OpKind::FakeQuantization) {
    FakeQuantEmitter &fq = *emitters.find(&op)->second;
    const QuantParams &p = fq.getParams();
    Value *qf = fq.emitGridValue(b, in(0), p);
    define(0, fq.emitDequantized(b, fq.emitLevel(b, qf), p));
    if (op.getNumResults() == 2)
      define(1, b.CreateZExt(fq.emitInRange(b, qf), b.getInt8Ty()));
    return;
  }
  if (kind == OpKind::GradFakeQuantization) {
    Value *dy = in(0);
    Type *elemTy = dy->getType();
    if (body.getType(op.getOperand(1)).elementType == DataType::Bool) {
      Value *inMask = b.CreateICmpNE(in(1), b.getInt8(0));
      return define(0, b.CreateFMul(dy, b.CreateUIToFP(inMask, elemTy)));
    }
    FakeQuantizationOp rule(op);
    if (rule.gradient() == GradientRule::STE)
      return define(0, dy);
    assert(rule.gradient() == GradientRule::Clipped && "lsq is not fusable");
    FakeQuantEmitter &fq = *emitters.find(&op)->second;
    Value *inRange = fq.emitInRange(b, fq.emitGridValue(b, in(1), fq.getParams()));
    return define(0, b.CreateFMul(dy, b.CreateUIToFP(inRange, elemTy)));
  }
  assert(isFusableElementwise(body, op) && "the verifier admits only these");
  define(0, emitUnaryGradientElement(b, op, type, in(0), in(1)));
}

} // namespace

void emitFusedElementwise(Kernel &k) { FusedLowering(k).emit(); }

} // namespace qjit
