//===- ConvertToIntegers.cpp - A QAT graph to its integer graph -----------===//
//
// Finds the layers of a quantization-aware graph,
//
//   xq = FakeQuantization(x)            activations: per tensor, 8-bit grid
//   [xq = MaxPool2D | Reshape | ...(xq)] ops that keep values on xq's grid
//   wq = FakeQuantization(Constant W)   weights: per tensor or per output
//                                       column / channel [then Transpose]
//   p  = MatMul(xq, wq) | Conv2D(xq, wq[, Constant b])
//   [p = Multiply(p, Constant m)]       a scale per channel (a folded batch
//                                       norm, see fold-batch-norm)
//   [p = Add(p, Constant b)]            a bias per output column / channel
//   [p = ReLU(p)] [p = Clamp(p)]        (ReLU6 is a Clamp)
//   yq = FakeQuantization(p)            per tensor, 8-bit grid
//
// and computes each on integers (docs/integer-execution.md):
//
//   q  = Quantize(x) [Clamp to a narrower grid], or the previous layer's q
//   qy = QLinearMatMul | QLinearConv2D(q, Constant Wq, Constant bq, relu)
//   yq = Dequantize(qy)                 for the float ops that use it
//
// W is quantized on its grid at compile time (the FakeQuantization's own
// levels), b to Int32 with scale fl(x_scale * w_scale[j]). A channel scale
// m joins the weights' scale, fl(w_scale[j] * |m[j]|); a negative m[j]
// negates channel j's levels, which needs a zero point of 0 and no level at
// the type's minimum. Clamp bounds become levels of yq's grid: the
// FakeQuantization is monotonic, so FQ(clamp(p, a, b)) = clamp(FQ(p),
// FQ(a), FQ(b)). Layers feeding
// layers stay integer; ops without an integer form run in float on the
// Dequantize. A product that does not match is left in float with a remark
// naming what stopped it. The float ops the layers replace are removed.
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Builder.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/Interpreter/FakeQuantReference.h"
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <optional>
#include <variant>

namespace qjit {
namespace {

// A layer found in the float graph; op indices into its op list.
struct Layer {
  size_t product = 0, end = 0;   // MatMul/Conv2D, the result FakeQuantization
  size_t input = 0;              // the FakeQuantization of x
  ValueId inputValue = 0;        // the product's x: input's result, or a
                                 // grid-keeping op of it
  const Operation *weightsFq = nullptr; // of the float Constant W
  bool weightsTransposed = false;       // MatMul reads Transpose(wq)
  Tensor weightLevels;           // W on its grid, signs of m applied, in
                                 // the layout the product reads
  std::vector<double> weightScales; // per column, or one
  std::vector<int64_t> weightZeroPoints;
  std::optional<ValueId> bias;   // a float Constant with one value per column
  bool relu = false;
  std::optional<double> clampMin, clampMax; // a float Clamp before yq
  DataType xType{}, yType{};
};

// The 8-bit type whose range holds a FakeQuantization's grid.
std::optional<DataType> gridType(const FakeQuantizationOp &fq) {
  if (fq.quantMin() >= 0 && fq.quantMax() <= 255)
    return DataType::UInt8;
  if (fq.quantMin() >= -128 && fq.quantMax() <= 127)
    return DataType::Int8;
  return std::nullopt;
}

// The elements of a Float32 Constant, or nothing.
std::optional<std::vector<float>> constantFloats(const Graph &graph,
                                                 ValueId id) {
  const Operation *def = graph.getDefiningOp(id);
  const TensorType &type = graph.getType(id);
  if (!def || def->getKind() != OpKind::Constant ||
      type.elementType != DataType::Float32)
    return std::nullopt;
  std::vector<float> values(type.numElements());
  if (const Attribute *data = def->getAttr("data")) {
    std::memcpy(values.data(), data->getData()->data(),
                values.size() * sizeof(float));
    return values;
  }
  std::vector<double> numbers = def->getAttr("values")->getNumbers();
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(numbers[numbers.size() == 1 ? 0 : i]);
  return values;
}

class LayerMatcher {
public:
  explicit LayerMatcher(const Graph &graph) : graph(graph) {
    const std::vector<Operation> &ops = graph.getOps();
    for (size_t i = 0; i < ops.size(); ++i) {
      for (ValueId v : ops[i].getResults())
        definer[v] = i;
      for (ValueId v : ops[i].getOperands())
        ++uses[v];
    }
    for (ValueId v : graph.getOutputs())
      ++uses[v];
  }

  // The layer ending the chain at `product`, or why there is none.
  std::variant<Layer, std::string> match(size_t product) {
    const Operation &op = graph.getOps()[product];
    Layer layer;
    layer.product = product;
    bool isMatMul = op.getKind() == OpKind::MatMul;
    if (graph.getType(op.getResult()).elementType != DataType::Float32)
      return std::string("it is not Float32");

    layer.inputValue = op.getOperand(0);
    auto xfq = perTensorFq(throughGridKeepingOps(layer.inputValue));
    if (!xfq)
      return "its input t" + std::to_string(op.getOperand(0)) +
             " is not a per-tensor FakeQuantization with a scale on an "
             "8-bit grid";
    layer.input = *xfq;
    layer.xType = *gridType(FakeQuantizationOp(graph.getOps()[*xfq]));

    ValueId wValue = op.getOperand(1);
    if (const Operation *t = definingOp(wValue);
        isMatMul && t && t->getKind() == OpKind::Transpose &&
        graph.getType(wValue).rank() == 2 && swapsAxes(*t)) {
      layer.weightsTransposed = true;
      wValue = t->getOperand(0);
    }
    const Operation *wfq = fqOf(wValue);
    const TensorType &wType = graph.getType(wValue);
    if (!wfq || !constantFloats(graph, wfq->getOperand(0)))
      return "its weights t" + std::to_string(op.getOperand(1)) +
             " are not a FakeQuantization of a Float32 Constant";
    FakeQuantizationOp w(*wfq);
    if (isMatMul && wType.rank() != 2)
      return std::string("its weights are not a matrix [K, N]");
    int64_t columnAxis = isMatMul && !layer.weightsTransposed ? 1 : 0;
    if (auto axis = w.normalizedAxis(wType.rank());
        axis && *axis != columnAxis)
      return "its weights are quantized along axis " + std::to_string(*axis) +
             ", not per output " + (isMatMul ? "column" : "channel");
    if (gridType(w) != DataType::Int8 && gridType(w) != DataType::UInt8)
      return std::string("its weights' grid does not fit 8 bits");
    layer.weightsFq = wfq;
    int64_t columns = wType.shape[columnAxis];

    // The chain after the product: [scale] [bias] [ReLU] [Clamp]
    // FakeQuantization, each value used once.
    ValueId value = op.getResult();
    if (op.getNumOperands() == 3) {
      if (!constantFloats(graph, op.getOperand(2)))
        return std::string("its bias is not a Float32 Constant");
      layer.bias = op.getOperand(2);
    }
    const Operation *next = soleUser(value);
    std::vector<float> channelScale(columns, 1.0f);
    if (next && next->getKind() == OpKind::Multiply && !layer.bias) {
      ValueId other = next->getOperand(next->getOperand(0) == value ? 1 : 0);
      if (isColumnVector(other, columns, isMatMul)) {
        channelScale = *constantFloats(graph, other);
        value = next->getResult();
        next = soleUser(value);
      }
    }
    if (next && next->getKind() == OpKind::Add && !layer.bias) {
      ValueId other = next->getOperand(next->getOperand(0) == value ? 1 : 0);
      if (isColumnVector(other, columns, isMatMul)) {
        layer.bias = other;
        value = next->getResult();
        next = soleUser(value);
      }
    }
    if (next && next->getKind() == OpKind::ReLU) {
      layer.relu = true;
      value = next->getResult();
      next = soleUser(value);
    }
    if (next && next->getKind() == OpKind::Clamp) {
      if (const Attribute *a = next->getAttr("min"))
        layer.clampMin = a->getNumber();
      if (const Attribute *a = next->getAttr("max"))
        layer.clampMax = a->getNumber();
      value = next->getResult();
      next = soleUser(value);
    }
    if (!next || next->getNumResults() != 1 ||
        !perTensorFq(next->getResult()) ||
        fqOf(next->getResult())->getOperand(0) != value)
      return "its result t" + std::to_string(value) +
             " does not go (alone) to a per-tensor FakeQuantization with a "
             "scale on an 8-bit grid";
    layer.end = definer.lookup(next->getResult());
    layer.yType = *gridType(FakeQuantizationOp(*next));
    if (auto why = quantizeWeights(layer, w, wType, columnAxis, channelScale))
      return *why;
    // The requantization factors the QLinear op will need.
    float xScale = static_cast<float>(
        *FakeQuantizationOp(graph.getOps()[layer.input]).scale());
    float yScale = static_cast<float>(*FakeQuantizationOp(*next).scale());
    for (double ws : layer.weightScales)
      if (!std::isfinite(xScale * static_cast<float>(ws) / yScale))
        return fmt::format("its requantization factor x_scale * w_scale / "
                           "y_scale = {} * {} / {} is not a finite float",
                           xScale, ws, yScale);
    return layer;
  }

private:
  const Operation *definingOp(ValueId v) const {
    auto it = definer.find(v);
    return it == definer.end() ? nullptr : &graph.getOps()[it->second];
  }

  // A rank-2 Transpose that swaps its axes (perm absent or [1, 0]).
  static bool swapsAxes(const Operation &t) {
    const Attribute *perm = t.getAttr("perm");
    return !perm || perm->getIntList() == llvm::ArrayRef<int64_t>{1, 0};
  }

  // Max pooling and moving elements keep values on their grid, so the
  // FakeQuantization before them still describes the values after them.
  ValueId throughGridKeepingOps(ValueId v) const {
    while (const Operation *op = definingOp(v)) {
      switch (op->getKind()) {
      case OpKind::MaxPool2D:
      case OpKind::Reshape:
      case OpKind::Transpose:
      case OpKind::Slice:
      case OpKind::Broadcast:
        v = op->getOperand(0);
        continue;
      default:
        return v;
      }
    }
    return v;
  }

  // W's levels on the grid of its FakeQuantization, in the layout the
  // product reads, with the channel scale folded into the weights' scales.
  // Fails when a channel scale cannot be folded.
  std::optional<std::string> quantizeWeights(Layer &layer,
                                             const FakeQuantizationOp &w,
                                             const TensorType &wType,
                                             int64_t columnAxis,
                                             const std::vector<float> &m) {
    std::vector<float> wf = *constantFloats(graph, w.input());
    int64_t columns = wType.shape[columnAxis];
    int64_t inner = 1;
    for (int64_t d = columnAxis + 1; d < wType.rank(); ++d)
      inner *= wType.shape[d];
    bool perChannel = w.axis().has_value();
    bool folded = llvm::any_of(m, [](float f) { return f != 1.0f; });
    std::vector<double> fqScales = w.scales();
    DataType wInt = *gridType(w);
    auto [typeMin, typeMax] = integerRange(wInt);
    std::vector<int32_t> levels(wf.size());
    std::vector<bool> negate(columns, false);
    for (int64_t c = 0; c < (perChannel || folded ? columns : 1); ++c) {
      int64_t k = perChannel ? c : 0;
      // Unscaled, the FakeQuantization's own scale as written.
      float scale = static_cast<float>(fqScales[k]);
      layer.weightScales.push_back(
          m[c] == 1.0f ? fqScales[k] : double(scale * std::fabs(m[c])));
      layer.weightZeroPoints.push_back(w.zeroPoint(k));
      float folded = static_cast<float>(layer.weightScales.back());
      if (!(std::isfinite(folded) && folded > 0.0f))
        return fmt::format("its channel scale at {} is {}, which leaves no "
                           "weight scale",
                           c, m[c]);
      negate[c] = m[c] < 0.0f;
      if (negate[c] && w.zeroPoint(k) != 0)
        return fmt::format("its channel scale at {} is negative and the "
                           "weights' zero point is not 0",
                           c);
    }
    // The attributes once, not per element (ResNet18 has 11M weights).
    std::vector<float> scales, zeroPoints;
    for (int64_t k = 0; k < (perChannel ? columns : 1); ++k) {
      scales.push_back(static_cast<float>(fqScales[k]));
      zeroPoints.push_back(static_cast<float>(w.zeroPoint(k)));
    }
    float qmin = float(w.quantMin()), qmax = float(w.quantMax());
    for (size_t i = 0; i < wf.size(); ++i) {
      int64_t c = (int64_t(i) / inner) % columns;
      int64_t k = perChannel ? c : 0;
      float level = qjit::clampToGrid(
          unclampedLevel(wf[i], scales[k], zeroPoints[k]), qmin, qmax);
      levels[i] = static_cast<int32_t>(negate[c] ? -level : level);
      if (levels[i] < typeMin || levels[i] > typeMax)
        return fmt::format("its channel scale at {} is negative and a "
                           "weight's level has no negation in {}",
                           c, dataTypeName(wInt).str());
    }
    // Stored as the product reads it: [K, N] for MatMul, OIHW for Conv2D.
    Shape shape = wType.shape;
    bool transpose = layer.weightsTransposed;
    if (transpose)
      std::swap(shape[0], shape[1]);
    layer.weightLevels = Tensor(TensorType{wInt, shape});
    for (size_t i = 0; i < levels.size(); ++i) {
      size_t to = transpose ? (i % wType.shape[1]) * wType.shape[0] +
                                  i / wType.shape[1]
                            : i;
      if (wInt == DataType::Int8)
        layer.weightLevels.as<int8_t>()[to] = static_cast<int8_t>(levels[i]);
      else
        layer.weightLevels.as<uint8_t>()[to] = static_cast<uint8_t>(levels[i]);
    }
    return std::nullopt;
  }

  // The forward FakeQuantization (one result, scale attributes) defining v.
  const Operation *fqOf(ValueId v) const {
    const Operation *found = definingOp(v);
    if (!found)
      return nullptr;
    const Operation &op = *found;
    if (op.getKind() != OpKind::FakeQuantization || op.getNumResults() != 1 ||
        op.getNumOperands() != 1 || !op.hasAttr("scale"))
      return nullptr;
    return &op;
  }

  std::optional<size_t> perTensorFq(ValueId v) const {
    const Operation *op = fqOf(v);
    if (!op)
      return std::nullopt;
    FakeQuantizationOp fq(*op);
    if (fq.axis() || !fq.scale() || !gridType(fq))
      return std::nullopt;
    return definer.lookup(v);
  }

  const Operation *soleUser(ValueId v) const {
    if (uses.lookup(v) != 1)
      return nullptr;
    for (const Operation &op : graph.getOps())
      if (llvm::is_contained(op.getOperands(), v))
        return &op;
    return nullptr; // the one use is a graph output
  }

  // A Float32 Constant holding one value per output column / channel, in
  // a shape that Add broadcasts along them: [N] / [1, N] for MatMul,
  // [O, 1, 1] / [1, O, 1, 1] for Conv2D.
  bool isColumnVector(ValueId v, int64_t columns, bool isMatMul) const {
    if (!constantFloats(graph, v))
      return false;
    const Shape &s = graph.getType(v).shape;
    if (isMatMul)
      return s == Shape{columns} || s == Shape{1, columns};
    return s == Shape{columns, 1, 1} || s == Shape{1, columns, 1, 1};
  }

  const Graph &graph;
  llvm::DenseMap<ValueId, size_t> definer;
  llvm::DenseMap<ValueId, unsigned> uses;
};

AttrList scaleAndZeroPoint(const FakeQuantizationOp &fq, DataType type) {
  return {{"scale", Attribute(*fq.scale())},
          {"zero_point", Attribute(fq.zeroPoint())},
          {"dtype", Attribute(EnumValue{dataTypeName(type).str()})}};
}

class ConvertToIntegers : public GraphPass {
public:
  llvm::StringRef getName() const override { return "convert-to-integers"; }

  llvm::Error runOnGraph(Graph &graph) override {
    std::vector<Layer> layers = findLayers(graph);
    quantizedValues.clear();
    if (layers.empty())
      return llvm::Error::success();
    llvm::DenseMap<size_t, const Layer *> byEnd;
    for (const Layer &layer : layers)
      byEnd[layer.end] = &layer;

    std::vector<Operation> old = std::move(graph.getOps());
    graph.getOps().clear();
    Builder b(graph);
    llvm::DenseMap<ValueId, ValueId> replaced; // float result -> Dequantize
    llvm::DenseMap<size_t, ValueId> integerOf; // FakeQuantization -> ints
    auto remap = [&](ValueId v) {
      auto it = replaced.find(v);
      return it == replaced.end() ? v : it->second;
    };
    for (size_t i = 0; i < old.size(); ++i) {
      auto it = byEnd.find(i);
      if (it == byEnd.end()) {
        Operation op = old[i];
        for (unsigned k = 0; k < op.getNumOperands(); ++k)
          op.setOperand(k, remap(op.getOperand(k)));
        graph.addOp(std::move(op));
        continue;
      }
      auto result = emitLayer(b, old, *it->second, integerOf, remap);
      if (!result)
        return result.takeError();
      replaced[old[i].getResult()] = *result;
    }
    llvm::SmallVector<ValueId, 4> outputs;
    for (ValueId v : graph.getOutputs())
      outputs.push_back(remap(v));
    graph.setOutputs(outputs);
    // The float layers are dead now.
    std::unique_ptr<Pass> dce = createDeadCodeEliminationPass();
    return static_cast<GraphPass &>(*dce).runOnGraph(graph);
  }

private:
  std::vector<Layer> findLayers(const Graph &graph) {
    LayerMatcher matcher(graph);
    std::vector<Layer> layers;
    const std::vector<Operation> &ops = graph.getOps();
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].getKind() != OpKind::MatMul &&
          ops[i].getKind() != OpKind::Conv2D)
        continue;
      auto match = matcher.match(i);
      if (auto *layer = std::get_if<Layer>(&match)) {
        layers.push_back(*layer);
        continue;
      }
      remark(ops[i].getLoc(),
             fmt::format("{} t{} stays in float: {}", ops[i].getName().str(),
                         ops[i].getResult(), std::get<std::string>(match)));
    }
    return layers;
  }

  // x's integers: the previous layer's result, or a Quantize (shared by the
  // layers reading the same value). Values reached through grid-keeping ops
  // are on the grid already: Quantize gives back their levels exactly.
  llvm::Expected<ValueId>
  integerInput(Builder &b, const std::vector<Operation> &old,
               const Layer &layer, llvm::DenseMap<size_t, ValueId> &integerOf,
               llvm::function_ref<ValueId(ValueId)> remap) {
    FakeQuantizationOp fq(old[layer.input]);
    bool direct = layer.inputValue == old[layer.input].getResult();
    if (direct)
      if (auto it = integerOf.find(layer.input); it != integerOf.end())
        return it->second;
    if (auto it = quantizedValues.find(layer.inputValue);
        it != quantizedValues.end())
      return it->second;
    auto q = b.create(OpKind::Quantize,
                      {direct ? remap(fq.input()) : remap(layer.inputValue)},
                      scaleAndZeroPoint(fq, layer.xType));
    if (!q)
      return q.takeError();
    auto [lo, hi] = integerRange(layer.xType);
    auto clamped = direct ? clampTo(b, *q, layer.xType,
                                    std::max(lo, fq.quantMin()),
                                    std::min(hi, fq.quantMax()))
                          : llvm::Expected<ValueId>(*q);
    if (clamped)
      quantizedValues[layer.inputValue] = *clamped;
    return clamped;
  }

  // Quantize and QLinear ops saturate to the whole type; a narrower grid
  // (PyTorch's reduce_range: 0..127) or a Clamp's bounds clamp again.
  llvm::Expected<ValueId> clampTo(Builder &b, ValueId q, DataType type,
                                  int64_t min, int64_t max) {
    auto [lo, hi] = integerRange(type);
    if (min <= lo && max >= hi)
      return q;
    return b.create(OpKind::Clamp, {q},
                    {{"min", Attribute(double(min))},
                     {"max", Attribute(double(max))}});
  }

  // The level of v on yq's grid (FakeQuantization's own arithmetic).
  static int64_t levelOf(double v, const FakeQuantizationOp &y) {
    float scale = static_cast<float>(*y.scale());
    return static_cast<int64_t>(qjit::clampToGrid(
        unclampedLevel(static_cast<float>(v), scale, float(y.zeroPoint())),
        float(y.quantMin()), float(y.quantMax())));
  }

  llvm::Expected<ValueId>
  emitLayer(Builder &b, const std::vector<Operation> &old, const Layer &layer,
            llvm::DenseMap<size_t, ValueId> &integerOf,
            llvm::function_ref<ValueId(ValueId)> remap) {
    Graph &graph = b.getGraph();
    const Operation &product = old[layer.product];
    FakeQuantizationOp x(old[layer.input]), y(old[layer.end]);
    bool isMatMul = product.getKind() == OpKind::MatMul;
    auto input = integerInput(b, old, layer, integerOf, remap);
    if (!input)
      return input.takeError();
    auto wConst = b.constant(layer.weightLevels);
    if (!wConst)
      return wConst.takeError();
    llvm::SmallVector<ValueId, 3> operands{*input, *wConst};

    // The bias in the product's steps: rne(fl(b / fl(x_scale * w_scale))).
    const std::vector<double> &wScales = layer.weightScales;
    float xScale = static_cast<float>(*x.scale());
    if (layer.bias) {
      std::vector<float> bf = *constantFloats(graph, *layer.bias);
      int64_t columns = static_cast<int64_t>(bf.size());
      Tensor bq(TensorType{DataType::Int32, {columns}});
      for (int64_t j = 0; j < columns; ++j) {
        float atw =
            xScale * static_cast<float>(wScales[wScales.size() == 1 ? 0 : j]);
        double q = std::nearbyint(bf[j] / atw);
        bq.as<int32_t>()[j] =
            static_cast<int32_t>(std::clamp(q, double(INT32_MIN),
                                            double(INT32_MAX)));
      }
      auto bConst = b.constant(bq);
      if (!bConst)
        return bConst.takeError();
      operands.push_back(*bConst);
    }

    AttrList attrs{{"x_scale", Attribute(*x.scale())},
                   {"x_zero_point", Attribute(x.zeroPoint())},
                   {"y_scale", Attribute(*y.scale())},
                   {"y_zero_point", Attribute(y.zeroPoint())}};
    if (layer.relu)
      attrs.push_back({"relu", Attribute(true)});
    if (layer.yType != DataType::UInt8) // the default
      attrs.push_back({"dtype", Attribute(EnumValue{"Int8"})});
    if (wScales.size() > 1) {
      attrs.push_back({"w_scale", Attribute(wScales)});
      attrs.push_back({"w_zero_point", Attribute(layer.weightZeroPoints)});
    } else {
      attrs.push_back({"w_scale", Attribute(wScales[0])});
      attrs.push_back({"w_zero_point", Attribute(layer.weightZeroPoints[0])});
    }
    if (!isMatMul)
      for (const char *name : {"stride", "padding", "dilation", "groups"})
        if (const Attribute *a = product.getAttr(name))
          attrs.push_back({name, *a});
    // yq's grid, narrowed by a Clamp's bounds, in the epilogue.
    auto [typeMin, typeMax] = integerRange(layer.yType);
    int64_t min = std::max(typeMin, y.quantMin());
    int64_t max = std::min(typeMax, y.quantMax());
    if (layer.clampMin)
      min = std::max(min, levelOf(*layer.clampMin, y));
    if (layer.clampMax)
      max = std::min(max, levelOf(*layer.clampMax, y));
    min = std::min(min, max); // Clamp(min > max) gives max everywhere
    if (min > typeMin)
      attrs.push_back({"quant_min", Attribute(min)});
    if (max < typeMax)
      attrs.push_back({"quant_max", Attribute(max)});
    auto qy = b.create(isMatMul ? OpKind::QLinearMatMul
                                : OpKind::QLinearConv2D,
                       operands, attrs);
    if (!qy)
      return qy.takeError();
    integerOf[layer.end] = *qy;
    AttrList deq{{"scale", Attribute(*y.scale())},
                 {"zero_point", Attribute(y.zeroPoint())}};
    return b.create(OpKind::Dequantize, {*qy}, deq);
  }

  llvm::DenseMap<ValueId, ValueId> quantizedValues; // per graph
};

} // namespace

std::unique_ptr<Pass> createConvertToIntegersPass() {
  return std::make_unique<ConvertToIntegers>();
}

} // namespace qjit
