//===- ConvertToIntegers.cpp - A QAT graph to its integer graph -----------===//
//
// Finds the layers of a quantization-aware graph,
//
//   xq = FakeQuantization(x)            activations: per tensor, 8-bit grid
//   wq = FakeQuantization(Constant W)   weights: per tensor or per output
//                                       column / channel
//   p  = MatMul(xq, wq) | Conv2D(xq, wq[, Constant b])
//   [p = Add(p, Constant b)]            a bias per output column / channel
//   [p = ReLU(p)]
//   yq = FakeQuantization(p)            per tensor, 8-bit grid
//
// and computes each on integers (docs/integer-execution.md):
//
//   q  = Quantize(x) [Clamp to a narrower grid], or the previous layer's q
//   qy = QLinearMatMul | QLinearConv2D(q, Constant Wq, Constant bq, relu)
//   yq = Dequantize(qy)                 for the float ops that use it
//
// W is quantized on its grid at compile time (the FakeQuantization's own
// levels), b to Int32 with scale fl(x_scale * w_scale[j]). Layers feeding
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
  ValueId weights = 0;           // the float Constant W
  const Operation *weightsFq = nullptr;
  std::optional<ValueId> bias;   // a float Constant with one value per column
  bool relu = false;
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

    auto xfq = perTensorFq(op.getOperand(0));
    if (!xfq)
      return "its input t" + std::to_string(op.getOperand(0)) +
             " is not a per-tensor FakeQuantization with a scale on an "
             "8-bit grid";
    layer.input = *xfq;
    layer.xType = *gridType(FakeQuantizationOp(graph.getOps()[*xfq]));

    const Operation *wfq = fqOf(op.getOperand(1));
    int64_t columnAxis = isMatMul ? 1 : 0;
    const TensorType &wType = graph.getType(op.getOperand(1));
    if (!wfq || !constantFloats(graph, wfq->getOperand(0)))
      return "its weights t" + std::to_string(op.getOperand(1)) +
             " are not a FakeQuantization of a Float32 Constant";
    FakeQuantizationOp w(*wfq);
    if (isMatMul && wType.rank() != 2)
      return std::string("its weights are not a matrix [K, N]");
    if (auto axis = w.normalizedAxis(wType.rank());
        axis && *axis != columnAxis)
      return "its weights are quantized along axis " + std::to_string(*axis) +
             ", not per output " + (isMatMul ? "column" : "channel");
    if (gridType(w) != DataType::Int8 && gridType(w) != DataType::UInt8)
      return std::string("its weights' grid does not fit 8 bits");
    layer.weights = wfq->getOperand(0);
    layer.weightsFq = wfq;
    int64_t columns = wType.shape[columnAxis];

    // The chain after the product: [bias] [ReLU] FakeQuantization, each
    // value used once.
    ValueId value = op.getResult();
    if (op.getNumOperands() == 3) {
      if (!constantFloats(graph, op.getOperand(2)))
        return std::string("its bias is not a Float32 Constant");
      layer.bias = op.getOperand(2);
    }
    const Operation *next = soleUser(value);
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
    if (!next || next->getNumResults() != 1 ||
        !perTensorFq(next->getResult()) ||
        fqOf(next->getResult())->getOperand(0) != value)
      return "its result t" + std::to_string(value) +
             " does not go (alone) to a per-tensor FakeQuantization with a "
             "scale on an 8-bit grid";
    layer.end = definer.lookup(next->getResult());
    layer.yType = *gridType(FakeQuantizationOp(*next));
    return layer;
  }

private:
  // The forward FakeQuantization (one result, scale attributes) defining v.
  const Operation *fqOf(ValueId v) const {
    auto it = definer.find(v);
    if (it == definer.end())
      return nullptr;
    const Operation &op = graph.getOps()[it->second];
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
  // layers reading the same FakeQuantization).
  llvm::Expected<ValueId>
  integerInput(Builder &b, const std::vector<Operation> &old,
               const Layer &layer, llvm::DenseMap<size_t, ValueId> &integerOf,
               llvm::function_ref<ValueId(ValueId)> remap) {
    if (auto it = integerOf.find(layer.input); it != integerOf.end())
      return it->second;
    FakeQuantizationOp fq(old[layer.input]);
    auto q = b.create(OpKind::Quantize, {remap(fq.input())},
                      scaleAndZeroPoint(fq, layer.xType));
    if (!q)
      return q.takeError();
    auto clamped = clampToGrid(b, *q, fq, layer.xType);
    if (clamped)
      integerOf[layer.input] = *clamped;
    return clamped;
  }

  // Quantize and QLinear ops saturate to the whole type; a narrower grid
  // (PyTorch's reduce_range: 0..127) clamps again.
  llvm::Expected<ValueId> clampToGrid(Builder &b, ValueId q,
                                      const FakeQuantizationOp &fq,
                                      DataType type) {
    auto [lo, hi] = integerRange(type);
    if (fq.quantMin() <= lo && fq.quantMax() >= hi)
      return q;
    return b.create(OpKind::Clamp, {q},
                    {{"min", Attribute(double(fq.quantMin()))},
                     {"max", Attribute(double(fq.quantMax()))}});
  }

  llvm::Expected<ValueId>
  emitLayer(Builder &b, const std::vector<Operation> &old, const Layer &layer,
            llvm::DenseMap<size_t, ValueId> &integerOf,
            llvm::function_ref<ValueId(ValueId)> remap) {
    Graph &graph = b.getGraph();
    const Operation &product = old[layer.product];
    FakeQuantizationOp x(old[layer.input]), w(*layer.weightsFq),
        y(old[layer.end]);
    auto input = integerInput(b, old, layer, integerOf, remap);
    if (!input)
      return input.takeError();

    // W on its grid, as w's own FakeQuantization computes the levels.
    // A copy: adding values moves the graph's types.
    const TensorType wType = graph.getType(layer.weights);
    std::vector<float> wf = *constantFloats(graph, layer.weights);
    bool isMatMul = product.getKind() == OpKind::MatMul;
    int64_t axis = isMatMul ? 1 : 0;
    int64_t columns = wType.shape[axis];
    int64_t inner = isMatMul ? 1 : wType.numElements() / columns;
    bool perChannel = w.axis().has_value();
    DataType wInt = *gridType(w);
    Tensor wq(TensorType{wInt, wType.shape});
    std::vector<float> wScales;
    for (int64_t j = 0; j < (perChannel ? columns : 1); ++j)
      wScales.push_back(static_cast<float>(w.scales()[j]));
    auto channelOf = [&](int64_t i) {
      return perChannel ? (isMatMul ? i % columns : i / inner) : 0;
    };
    for (int64_t i = 0; i < wType.numElements(); ++i) {
      int64_t c = channelOf(i);
      float level = qjit::clampToGrid(
          unclampedLevel(wf[i], wScales[c], float(w.zeroPoint(c))),
          float(w.quantMin()), float(w.quantMax()));
      if (wInt == DataType::Int8)
        wq.as<int8_t>()[i] = static_cast<int8_t>(level);
      else
        wq.as<uint8_t>()[i] = static_cast<uint8_t>(level);
    }
    auto wConst = b.constant(wq);
    if (!wConst)
      return wConst.takeError();
    llvm::SmallVector<ValueId, 3> operands{*input, *wConst};

    // The bias in the product's steps: rne(fl(b / fl(x_scale * w_scale))).
    float xScale = static_cast<float>(*x.scale());
    if (layer.bias) {
      std::vector<float> bf = *constantFloats(graph, *layer.bias);
      Tensor bq(TensorType{DataType::Int32, {columns}});
      for (int64_t j = 0; j < columns; ++j) {
        float atw = xScale * wScales[perChannel ? j : 0];
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
    if (perChannel) {
      std::vector<int64_t> zps;
      for (int64_t j = 0; j < columns; ++j)
        zps.push_back(w.zeroPoint(j));
      attrs.push_back({"w_scale", Attribute(w.scales())});
      attrs.push_back({"w_zero_point", Attribute(zps)});
    } else {
      attrs.push_back({"w_scale", Attribute(w.scales()[0])});
      attrs.push_back({"w_zero_point", Attribute(w.zeroPoint())});
    }
    if (!isMatMul)
      for (const char *name : {"stride", "padding", "dilation", "groups"})
        if (const Attribute *a = product.getAttr(name))
          attrs.push_back({name, *a});
    auto qlinear = b.create(isMatMul ? OpKind::QLinearMatMul
                                     : OpKind::QLinearConv2D,
                            operands, attrs);
    if (!qlinear)
      return qlinear.takeError();
    auto qy = clampToGrid(b, *qlinear, y, layer.yType);
    if (!qy)
      return qy.takeError();
    integerOf[layer.end] = *qy;
    AttrList deq{{"scale", Attribute(*y.scale())},
                 {"zero_point", Attribute(y.zeroPoint())}};
    return b.create(OpKind::Dequantize, {*qy}, deq);
  }
};

} // namespace

std::unique_ptr<Pass> createConvertToIntegersPass() {
  return std::make_unique<ConvertToIntegers>();
}

} // namespace qjit
