//===- FusedElementwise.cpp - A fused body as one loop --------------------===//
//
// The kernel of a FusedElementwise op: the parameters of its fake
// quantizations in the prologue, then one loop nest over the iteration shape
// (collapsed as for a broadcasting op) whose innermost body loads each input
// read as elements (hoisted when broadcast), evaluates the body's ops in
// order with the very formulas of their own kernels (Elementwise.h,
// FakeQuantEmitter), and stores the results. Values in the loop are kept in
// their memory form (Bool as i8 0 or 1), so a mask flows from the forward
// fake quantization to its gradient exactly as through memory. Large
// iteration spaces are split over threads along the outermost loop
// (Parallel.h), the parameters passed to the chunks as captures.
//
// With an anchor (a dense layer's MatMul first in the body), the product is
// computed in bands of rows, each band by one GEMM call straight into the
// first result's buffer (or the scratch when that result has another type),
// and the elementwise loop runs over the band at once, reading the product
// back while it is in cache and overwriting it in place: the epilogue costs
// no extra pass over memory. Bands are split over threads.
//
//===----------------------------------------------------------------------===//
#include "Broadcast.h"
#include "Conv2D.h"
#include "Elementwise.h"
#include "ElementwiseLoop.h"
#include "FakeQuantEmitter.h"
#include "LoopBuilder.h"
#include "MatMulGemm.h"
#include "Parallel.h"
#include "QLinear.h"
#include "qjit/IR/Fusion.h"
#include "llvm/ADT/DenseMap.h"
#include <deque>
#include <memory>

using namespace llvm;

namespace qjit {
namespace {

using ValueMap = DenseMap<ValueId, Value *>;

// What an anchor computes at once: a row of a MatMul's product, an image of
// a Conv2D's output.
int64_t unitElements(const Operation &anchor, const TensorType &product) {
  if (anchor.getKind() == OpKind::Conv2D)
    return numElements(ArrayRef<int64_t>(product.shape).drop_front());
  return product.shape.back();
}

// A graph of `conv` alone over one image (batch 1): the convolution the
// fused kernel emits per image, with the lowering of Conv2D.
Graph singleImageGraph(const Graph &body, const Operation &conv) {
  Graph graph(body.getName().str());
  auto oneImage = [&](ValueId v) {
    TensorType type = body.getType(v);
    type.shape[0] = 1;
    return type;
  };
  for (unsigned i = 0; i < conv.getNumOperands(); ++i) {
    ValueId v = conv.getOperand(i);
    graph.defineValue(v, i == 0 ? oneImage(v) : body.getType(v));
    graph.addInput(v);
  }
  graph.defineValue(conv.getResult(), oneImage(conv.getResult()));
  graph.addOp(conv);
  graph.setOutputs({conv.getResult()});
  return graph;
}

// Elements per iteration of the nest's outermost loop.
int64_t iterationElements(const LoopNest &nest) {
  int64_t elements = 1;
  for (int64_t d : ArrayRef<int64_t>(nest.dims).drop_front())
    elements *= d;
  return elements;
}

bool isQLinear(const Operation &op) {
  return op.getKind() == OpKind::QLinearMatMul ||
         op.getKind() == OpKind::QLinearConv2D;
}

// The anchor's own scratch, 64-byte aligned (the convolution's im2col band,
// a QLinear op's weights packed at run time and NHWC image) of the fused op
// `fused` of `graph`.
uint64_t anchorScratchBytes(const Graph &graph, const Operation &fused) {
  const Graph &body = *fused.getBody();
  const Operation &anchor = body.getOps().front();
  if (isQLinear(anchor))
    return qlinearSiteScratchBytes(body, anchor,
                                   hasPrepackedWeights(graph, fused));
  if (anchor.getKind() != OpKind::Conv2D)
    return 0;
  Graph oneImage = singleImageGraph(body, anchor);
  return alignTo(conv2DScratchBytes(oneImage, oneImage.getOps().front()), 64);
}

class FusedLowering {
public:
  explicit FusedLowering(Kernel &k) : k(k), body(*k.op.getBody()) {
    if (isAnchorKind(body.getOps().front().getKind()))
      anchor = &body.getOps().front();
  }

  void emit();

private:
  // The anchor's product goes to result 0 when it has the product's type.
  bool productInResult() const {
    return k.results[0].type.elementType ==
           body.getType(anchor->getResult()).elementType;
  }
  void emitAnchored(const LoopNest &nest, ArrayRef<Value *> captures,
                    ArrayRef<const Operation *> quantOps);
  // A QLinear anchor: the runtime's kernels write the product in bands, the
  // elementwise loop runs over each band on the thread that wrote it.
  void emitQLinearAnchored(const LoopNest &nest, ArrayRef<Value *> captures,
                           ArrayRef<const Operation *> quantOps);
  // The elementwise loop over the whole iteration space, split over threads.
  void emitWholeLoop(const LoopNest &nest, ArrayRef<Value *> captures,
                     ArrayRef<const Operation *> quantOps);
  // Where the anchor's product is, as seen from `chunk`.
  Value *productPtr(const Kernel &chunk) const;
  // Units [first, first + count) of the anchored loop: the anchor computes
  // them, then the elementwise loop runs over them.
  void emitBand(Kernel &chunk, const LoopNest &nest, Value *first,
                int64_t count);
  void emitGemmBand(Kernel &chunk, Value *productPtr, Value *firstRow,
                    int64_t rows);
  void emitConvImage(Kernel &chunk, Value *productPtr, Value *image);
  Value *anchorOperand(const Kernel &chunk, unsigned i) const {
    ArrayRef<ValueId> inputs = body.getInputs();
    return chunk
        .operands[llvm::find(inputs, anchor->getOperand(i)) - inputs.begin()]
        .ptr;
  }
  void setChunkParams(ArrayRef<const Operation *> quantOps,
                      ArrayRef<Value *> captured);
  void emitParameters();
  SmallVector<TensorType, 4> operandTypes(const Operation &op) const {
    SmallVector<TensorType, 4> types;
    for (ValueId v : op.getOperands())
      types.push_back(body.getType(v));
    return types;
  }
  // The operands the loop reads as elements (not only as parameters).
  void collectElementInputs();
  // The buffers the loop walks as seen from `chunk`: the element inputs,
  // then the results.
  SmallVector<KernelBuffer, 8> loopBuffers(const Kernel &chunk) const;
  // The nest over `buffers` (loopBuffers), the outermost loop over
  // [begin, end).
  void emitElementLoop(IRBuilderBase &b, const LoopNest &nest,
                       ArrayRef<KernelBuffer> buffers, Value *begin, Value *end,
                       bool streaming = false);
  // Whether the (unanchored) loop streams its stores (streamsOutputs).
  bool streams() const;
  // The body's ops on one element; `values` holds the inputs and receives
  // every result.
  void emitBody(IRBuilderBase &b, ValueMap &values);
  void emitOp(IRBuilderBase &b, const Operation &op, ValueMap &values);

  Kernel &k;
  const Graph &body;
  const Operation *anchor = nullptr; // the body's MatMul, if any
  // Views of the fake quantizations as kernels of their own (their scale and
  // zero point operands are this kernel's buffers), for their emitters.
  std::deque<Kernel> parameterKernels;
  DenseMap<const Operation *, std::unique_ptr<FakeQuantEmitter>> emitters;
  // Each emitter's parameters as seen from the chunk being emitted.
  DenseMap<const Operation *, QuantParams> chunkParams;
  // A Conv2D anchor's captures and the fake quantizations they belong to,
  // for the epilogue's chunks.
  ArrayRef<Value *> convCaptures;
  ArrayRef<const Operation *> convQuantOps;
  SmallVector<unsigned, 8> elementInputs; // operand positions
  SmallVector<ValueId, 8> elementInputIds;
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
      Value *ptr =
          it == inputs.end() ? nullptr : k.operands[it - inputs.begin()].ptr;
      view.operands.push_back({body.getType(v), ptr});
    }
    for (ValueId v : op.getResults())
      view.results.push_back({body.getType(v), nullptr});
    auto emitter = std::make_unique<FakeQuantEmitter>(view);
    emitter->emitParams();
    emitters[&op] = std::move(emitter);
  }
}

void FusedLowering::collectElementInputs() {
  ArrayRef<ValueId> inputs = body.getInputs();
  for (unsigned i = 0; i < inputs.size(); ++i) {
    bool readAsElements = llvm::any_of(body.getOps(), [&](const Operation &op) {
      SmallVector<unsigned, 2> params = parameterOperands(op);
      for (unsigned p = 0; p < op.getNumOperands(); ++p)
        if (op.getOperand(p) == inputs[i] && !llvm::is_contained(params, p))
          return true;
      return false;
    });
    if (readAsElements) {
      elementInputs.push_back(i);
      elementInputIds.push_back(inputs[i]);
    }
  }
}

SmallVector<KernelBuffer, 8>
FusedLowering::loopBuffers(const Kernel &chunk) const {
  SmallVector<KernelBuffer, 8> buffers;
  for (unsigned i : elementInputs)
    buffers.push_back(chunk.operands[i]);
  if (anchor)
    buffers.push_back({body.getType(anchor->getResult()), productPtr(chunk)});
  buffers.append(chunk.results.begin(), chunk.results.end());
  return buffers;
}

Value *FusedLowering::productPtr(const Kernel &chunk) const {
  if (productInResult())
    return chunk.results[0].ptr;
  return chunk.b.CreateConstInBoundsGEP1_64(chunk.b.getInt8Ty(), chunk.scratch,
                                            anchorScratchBytes(k.graph, k.op),
                                            "product");
}

void FusedLowering::emit() {
  emitParameters();
  collectElementInputs();
  if (anchor) {
    // The product is read back like an input, from where its band is.
    elementInputIds.push_back(anchor->getResult());
    if (productInResult())
      allowReadingResult(k.results[0].ptr);
  }
  // The shapes point into the buffers: keep them alive past the nest.
  SmallVector<KernelBuffer, 8> buffers = loopBuffers(k);
  SmallVector<ArrayRef<int64_t>, 8> shapes;
  for (const KernelBuffer &buffer : buffers)
    shapes.push_back(buffer.type.shape);
  LoopNest nest = collapseBroadcast(k.results[0].type.shape, shapes);

  // The parameters cross into the chunks as captures, in emitter order.
  SmallVector<const Operation *, 4> quantOps;
  SmallVector<Value *, 12> captures;
  for (const Operation &op : body.getOps())
    if (auto it = emitters.find(&op); it != emitters.end()) {
      const QuantParams &p = it->second->getParams();
      quantOps.push_back(&op);
      captures.append({p.scale, p.inverse, p.zeroPoint});
    }
  if (anchor && isQLinear(*anchor))
    return emitQLinearAnchored(nest, captures, quantOps);
  if (anchor)
    return emitAnchored(nest, captures, quantOps);
  emitWholeLoop(nest, captures, quantOps);
}

void FusedLowering::emitWholeLoop(const LoopNest &nest,
                                  ArrayRef<Value *> captures,
                                  ArrayRef<const Operation *> quantOps) {
  int64_t perIteration = 1;
  for (int64_t d : ArrayRef<int64_t>(nest.dims).drop_front())
    perIteration *= d;
  // A flat loop's chunks start at multiples of a vector-friendly size.
  int64_t align = nest.dims.size() == 1 ? kParallelAlignElements : 1;
  bool streaming = streams();
  emitParallelFor(
      k, nest.dims[0], parallelGrain(perIteration), captures,
      [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin, Value *end) {
        setChunkParams(quantOps, captured);
        emitElementLoop(chunk.b, nest, loopBuffers(chunk), begin, end,
                        streaming);
      },
      align);
}

void FusedLowering::emitQLinearAnchored(const LoopNest &nest,
                                        ArrayRef<Value *> captures,
                                        ArrayRef<const Operation *> quantOps) {
  const TensorType &productType = body.getType(anchor->getResult());
  if (productType.numElements() == 0)
    return;
  // A band is whole rows of the product ([rows, n]) or, in a flat loop,
  // any part of them; the outer loop must walk whole rows or whole
  // multiples of them.
  int64_t row = productType.shape.back();
  int64_t perIteration = iterationElements(nest);
  bool flat = nest.dims.size() == 1;
  bool banded =
      perIteration <= row ? row % perIteration == 0 : perIteration % row == 0;
  EpilogueNeeds needs;
  needs.rowMultiple = perIteration > row ? perIteration / row : 1;
  needs.columnParts = flat;
  SmallVector<unsigned, 3> positions;
  ArrayRef<ValueId> inputs = body.getInputs();
  for (ValueId v : anchor->getOperands())
    positions.push_back(llvm::find(inputs, v) - inputs.begin());
  auto product = [&](const Kernel &chunk) { return productPtr(chunk); };
  QLinearSite site{body, *anchor, positions, hasPrepackedWeights(k.graph, k.op),
                   0,    product};
  auto outer = [&](IRBuilderBase &b, Value *rows) -> Value * {
    if (perIteration <= row)
      return b.CreateMul(rows, b.getInt64(row / perIteration), "", true, true);
    return b.CreateUDiv(rows, b.getInt64(perIteration / row));
  };
  auto epilogue = [&](Kernel &chunk, ArrayRef<Value *> captured,
                      const ProductBand &band) {
    setChunkParams(quantOps, captured);
    IRBuilderBase &b = chunk.b;
    SmallVector<KernelBuffer, 8> buffers = loopBuffers(chunk);
    if (band.wholeRows)
      return emitElementLoop(b, nest, buffers, outer(b, band.firstRow),
                             outer(b, band.endRow));
    // Some columns of each row: a flat loop (element = row * n + column).
    emitLoop(
        b, band.firstRow, band.endRow, b.getInt64(1),
        [&](IRBuilderBase &b, Value *r) {
          Value *base = b.CreateMul(r, b.getInt64(row), "", true, true);
          emitElementLoop(b, nest, buffers,
                          b.CreateAdd(base, band.firstColumn, "", true, true),
                          b.CreateAdd(base, band.endColumn, "", true, true));
        },
        "row");
  };
  if (banded && emitQLinearAt(k, site, captures, epilogue, needs))
    return;
  if (!banded)
    emitQLinearAt(k, site, {}, nullptr, {});
  emitWholeLoop(nest, captures, quantOps);
}

void FusedLowering::setChunkParams(ArrayRef<const Operation *> quantOps,
                                   ArrayRef<Value *> captured) {
  for (size_t q = 0; q < quantOps.size(); ++q)
    chunkParams[quantOps[q]] = {captured[3 * q], captured[3 * q + 1],
                                captured[3 * q + 2]};
}

// Elements per chunk of a Conv2D's epilogue: images of fewer than twice
// this many run it on the calling thread.
constexpr int64_t kConvEpilogueGrainElements = 128 * 1024;

// Bytes of product per band: about what stays in a core's L2 cache next to
// the GEMM's own blocks.
constexpr int64_t kBandBytes = 256 * 1024;

void FusedLowering::emitAnchored(const LoopNest &nest,
                                 ArrayRef<Value *> captures,
                                 ArrayRef<const Operation *> quantOps) {
  const TensorType &product = body.getType(anchor->getResult());
  if (product.numElements() == 0)
    return;
  bool conv = anchor->getKind() == OpKind::Conv2D;
  int64_t unit = unitElements(*anchor, product);
  int64_t units = product.numElements() / unit;
  // A band is whole iterations of the outermost loop, which walks a
  // multiple or a divisor of a unit (the loops are trailing dimensions).
  int64_t perIteration = iterationElements(nest);
  assert((perIteration % unit == 0 || unit % perIteration == 0) &&
         "the outer loop splits units");
  int64_t unitsPerIteration = perIteration > unit ? perIteration / unit : 1;
  int64_t bandUnits = unitsPerIteration;
  if (!conv) {
    int64_t rowBytes = unit * dataTypeSize(product.elementType);
    bandUnits = std::max<int64_t>(1, kBandBytes / rowBytes);
    bandUnits = std::min<int64_t>(alignTo(bandUnits, unitsPerIteration), units);
  }
  int64_t fullBands = units / bandUnits, tailUnits = units % bandUnits;

  if (conv) {
    // Images one after the other: the convolution and then the epilogue
    // of each split over the threads.
    convCaptures = captures;
    convQuantOps = quantOps;
    setChunkParams(quantOps, captures);
    emitLoop(
        k.b, fullBands,
        [&](IRBuilderBase &b, Value *band) {
          emitBand(k, nest, b.CreateMul(band, b.getInt64(bandUnits)),
                   bandUnits);
        },
        "band");
    return;
  }
  emitParallelFor(
      k, fullBands, /*grain=*/1, captures,
      [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin, Value *end) {
        setChunkParams(quantOps, captured);
        emitLoop(
            chunk.b, begin, end, chunk.b.getInt64(1),
            [&](IRBuilderBase &b, Value *band) {
              emitBand(chunk, nest,
                       b.CreateMul(band, b.getInt64(bandUnits), "", true, true),
                       bandUnits);
            },
            "band");
      });
  if (tailUnits) {
    setChunkParams(quantOps, captures);
    emitBand(k, nest, k.b.getInt64(fullBands * bandUnits), tailUnits);
  }
}

void FusedLowering::emitBand(Kernel &chunk, const LoopNest &nest, Value *first,
                             int64_t count) {
  IRBuilderBase &b = chunk.b;
  const TensorType &product = body.getType(anchor->getResult());
  SmallVector<KernelBuffer, 8> buffers = loopBuffers(chunk);
  Value *productPtr = buffers[elementInputs.size()].ptr;
  if (anchor->getKind() == OpKind::MatMul) {
    emitGemmBand(chunk, productPtr, first, count);
  } else {
    emitLoop(
        b, count,
        [&](IRBuilderBase &b, Value *i) {
          emitConvImage(chunk, productPtr, b.CreateAdd(first, i));
        },
        "image");
  }

  // The band's iterations of the outermost loop.
  int64_t unit = unitElements(*anchor, product);
  int64_t perIteration = iterationElements(nest);
  auto outer = [&](Value *units) -> Value * {
    if (perIteration <= unit)
      return b.CreateMul(units, b.getInt64(unit / perIteration), "", true,
                         true);
    return b.CreateUDiv(units, b.getInt64(perIteration / unit));
  };
  Value *last = b.CreateAdd(first, b.getInt64(count), "", true, true);
  if (anchor->getKind() == OpKind::MatMul)
    return emitElementLoop(b, nest, buffers, outer(first), outer(last));
  // The convolution split its tasks over the threads; its epilogue, the
  // band's iterations from outer(first), is split over them too when the
  // image is large (a chunk function per kernel costs about 1 ms of
  // compile time: splitting every MobileNetV2 epilogue of 64K elements and
  // more added 50 ms to its 450).
  int64_t iterations = perIteration <= unit ? count * (unit / perIteration)
                                            : count / (perIteration / unit);
  SmallVector<Value *, 12> all(convCaptures.begin(), convCaptures.end());
  all.push_back(outer(first));
  int64_t grain = std::max(parallelGrain(perIteration),
                           ceilDiv(kConvEpilogueGrainElements, perIteration));
  emitParallelFor(
      chunk, iterations, grain, all,
      [&](Kernel &part, ArrayRef<Value *> captured, Value *begin, Value *end) {
        setChunkParams(convQuantOps, captured.drop_back());
        IRBuilderBase &pb = part.b;
        Value *base = captured.back();
        emitElementLoop(pb, nest, loopBuffers(part),
                        pb.CreateAdd(base, begin, "", true, true),
                        pb.CreateAdd(base, end, "", true, true));
      },
      nest.dims.size() == 1 ? kParallelAlignElements : 1);
  setChunkParams(convQuantOps, convCaptures);
}

void FusedLowering::emitGemmBand(Kernel &chunk, Value *productPtr,
                                 Value *firstRow, int64_t rows) {
  IRBuilderBase &b = chunk.b;
  const TensorType &product = body.getType(anchor->getResult());
  int64_t n = product.shape.back();
  int64_t depth = body.getType(anchor->getOperand(0)).shape.back();
  GemmArgs g;
  g.type = product.elementType;
  g.m = rows;
  g.k = depth;
  g.n = b.getInt64(n);
  g.maxN = n;
  g.a = elementPtr(b, g.type, anchorOperand(chunk, 0),
                   b.CreateMul(firstRow, b.getInt64(depth), "", true, true));
  g.b = anchorOperand(chunk, 1);
  g.c = elementPtr(b, g.type, productPtr,
                   b.CreateMul(firstRow, b.getInt64(n), "", true, true));
  g.lda = depth;
  g.ldb = n;
  g.ldc = n;
  emitGemm(b, k.module, g);
}

void FusedLowering::emitConvImage(Kernel &chunk, Value *productPtr,
                                  Value *image) {
  IRBuilderBase &b = chunk.b;
  Graph oneImage = singleImageGraph(body, *anchor);
  const Operation &conv = oneImage.getOps().front();
  Kernel view{oneImage, conv, k.module, chunk.b, {}, {}, chunk.scratch};
  auto imageOf = [&](Value *base, ValueId v, int64_t index) -> Value * {
    const TensorType &type = oneImage.getType(v);
    if (index != 0)
      return base; // the weight and the bias are shared
    Value *offset =
        b.CreateMul(image, b.getInt64(type.numElements()), "", true, true);
    return elementPtr(b, type.elementType, base, offset);
  };
  for (unsigned i = 0; i < conv.getNumOperands(); ++i)
    view.operands.push_back(
        {oneImage.getType(conv.getOperand(i)),
         imageOf(anchorOperand(chunk, i), conv.getOperand(i), i)});
  view.results.push_back({oneImage.getType(conv.getResult()),
                          imageOf(productPtr, conv.getResult(), 0)});
  emitConv2D(view);
}

bool FusedLowering::streams() const {
  uint64_t outputBytes = 0;
  for (const KernelBuffer &result : k.results)
    outputBytes = std::max(outputBytes, result.type.sizeInBytes());
  SmallVector<OpKind, 8> kinds;
  for (const Operation &op : body.getOps())
    kinds.push_back(op.getKind());
  return streamsOutputs(outputBytes, kinds);
}

void FusedLowering::emitElementLoop(IRBuilderBase &b, const LoopNest &nest,
                                    ArrayRef<KernelBuffer> buffers,
                                    Value *begin, Value *end, bool streaming) {
  emitElementwiseLoop(
      b, nest, buffers, elementInputIds.size(), begin, end,
      [&](IRBuilderBase &b, ArrayRef<Value *> inputs,
          SmallVectorImpl<Value *> &outputs) {
        ValueMap values;
        for (size_t i = 0; i < inputs.size(); ++i)
          values[elementInputIds[i]] = inputs[i];
        emitBody(b, values);
        for (ValueId v : body.getOutputs())
          outputs.push_back(values.lookup(v));
      },
      streaming);
}

void FusedLowering::emitBody(IRBuilderBase &b, ValueMap &values) {
  for (const Operation &op : body.getOps())
    emitOp(b, op, values);
}

void FusedLowering::emitOp(IRBuilderBase &b, const Operation &op,
                           ValueMap &values) {
  if (&op == anchor)
    return; // the product is loaded like an input
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
    const QuantParams &p = chunkParams.find(&op)->second;
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
    Value *inRange = fq.emitInRange(
        b, fq.emitGridValue(b, in(1), chunkParams.find(&op)->second));
    return define(0, b.CreateFMul(dy, b.CreateUIToFP(inRange, elemTy)));
  }
  assert(isFusableElementwise(body, op) && "the verifier admits only these");
  define(0, emitUnaryGradientElement(b, op, type, in(0), in(1)));
}

} // namespace

void emitFusedElementwise(Kernel &k) { FusedLowering(k).emit(); }

uint64_t fusedElementwiseScratchBytes(const Graph &graph, const Operation &op) {
  const Graph &body = *op.getBody();
  const Operation &first = body.getOps().front();
  if (!isAnchorKind(first.getKind()))
    return 0;
  const TensorType &product = body.getType(first.getResult());
  uint64_t bytes = anchorScratchBytes(graph, op);
  // The product lives in result 0 when the types agree.
  if (graph.getType(op.getResult()).elementType != product.elementType)
    bytes += product.sizeInBytes();
  return bytes;
}

} // namespace qjit
