//===- JitQLinearTest.cpp - QLinearMatMul and QLinearConv2D through the JIT ===//
//
// Random products (odd sizes, K not a multiple of 4, batches, per-tensor and
// per-channel weights, every operand type, bias, relu) and convolutions
// (groups, depthwise, stride, padding, dilation) through the JIT on every
// kernel path, forced with target features, against the interpreter byte
// for byte: the int32 sums are exact and the requantization is the same
// float arithmetic everywhere, so nothing may differ.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Transforms/PassRegistry.h"

using namespace qjit;
using namespace qjit::test;

namespace {

// Feature changes that force each kernel path on this host (a host without
// VNNI runs the AVX2 path under the first two as well).
const char *const kPaths[] = {"",                           // AVX512-VNNI
                              "-avx512f",                   // AVX-VNNI
                              "-avx512f,-avxvnni",          // AVX2
                              "-avx512f,-avxvnni,-avx2"};   // scalar

Jit &jitFor(const std::string &features) {
  static std::map<std::string, std::unique_ptr<Jit>> sessions;
  std::unique_ptr<Jit> &jit = sessions[features];
  if (!jit) {
    auto created = Jit::create(JitOptions{2, "", features});
    if (!expectOk(created, "creating a JIT with " + features))
      std::abort();
    jit = std::move(*created);
  }
  return *jit;
}

std::mt19937_64 &rng() {
  static std::mt19937_64 generator(20261203);
  return generator;
}

int64_t uniform(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng());
}

double uniformReal(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng());
}

// Every byte value equally likely.
Tensor randomBytes(const TensorType &type) {
  Tensor t(type);
  auto *bytes = static_cast<uint8_t *>(t.data());
  for (size_t i = 0; i < t.sizeInBytes(); ++i)
    bytes[i] = static_cast<uint8_t>(rng()());
  return t;
}

Tensor randomBias(int64_t n) {
  Tensor t(TensorType{DataType::Int32, {n}});
  for (int64_t i = 0; i < n; ++i)
    t.as<int32_t>()[i] = static_cast<int32_t>(uniform(-100000, 100000));
  return t;
}

DataType byteType() { return uniform(0, 1) ? DataType::UInt8 : DataType::Int8; }

// A result type: the levels (UInt8, Int8) or the levels dequantized.
DataType resultType() {
  return uniform(0, 2) == 0 ? DataType::Float32 : byteType();
}

int64_t zeroPointOf(DataType type) {
  auto [lo, hi] = integerRange(type);
  return uniform(lo, hi);
}

// Random quantization attributes for `columns` output columns; the scales
// keep results spread over the output range. A Float32 y has levels of a
// random 8-bit grid.
AttrList quantizationAttrs(DataType x, DataType w, DataType y,
                           int64_t columns, int64_t depth) {
  AttrList attrs;
  bool dequantized = y == DataType::Float32;
  DataType levels = dequantized ? byteType() : y;
  double xScale = uniformReal(0.005, 0.05);
  attrs.push_back({"x_scale", Attribute(xScale)});
  attrs.push_back({"x_zero_point", Attribute(zeroPointOf(x))});
  bool perChannel = uniform(0, 1);
  std::vector<double> wScales;
  std::vector<int64_t> wZeroPoints;
  for (int64_t j = 0; j < (perChannel ? columns : 1); ++j) {
    wScales.push_back(uniformReal(0.001, 0.02));
    wZeroPoints.push_back(uniform(0, 3) ? zeroPointOf(w) : 0);
  }
  if (perChannel) {
    attrs.push_back({"w_scale", Attribute(wScales)});
    attrs.push_back({"w_zero_point", Attribute(wZeroPoints)});
  } else {
    attrs.push_back({"w_scale", Attribute(wScales[0])});
    attrs.push_back({"w_zero_point", Attribute(wZeroPoints[0])});
  }
  // A sum of `depth` products of about 128 * 128 at these scales.
  double spread = xScale * wScales[0] * 128 * 128 * std::sqrt(double(depth));
  attrs.push_back({"y_scale", Attribute(spread / uniformReal(20, 200))});
  attrs.push_back({"y_zero_point", Attribute(zeroPointOf(levels))});
  attrs.push_back({"relu", Attribute(bool(uniform(0, 1)))});
  if (dequantized || uniform(0, 3) == 0) { // reduce_range, ReLU6
    auto [lo, hi] = integerRange(levels);
    // (Float32's grid is Int8's when quant_min < 0.)
    int64_t min = uniform(lo, lo < 0 ? -1 : (lo + hi) / 2);
    int64_t max = uniform(std::max<int64_t>(min, 0), hi);
    attrs.push_back({"quant_min", Attribute(min)});
    attrs.push_back({"quant_max", Attribute(max)});
  }
  attrs.push_back(
      {"dtype", Attribute(EnumValue{dataTypeName(y).str()})});
  return attrs;
}

// Weights without zero points (symmetric, as PyTorch quantizes them): the
// kernels that need no sums of x.
void dropWeightZeroPoints(AttrList &attrs, int64_t columns) {
  for (auto &[name, value] : attrs)
    if (name == "w_zero_point")
      value = value.isInt() ? Attribute(int64_t(0))
                            : Attribute(std::vector<int64_t>(columns, 0));
}

// Half the convolutions run channels-last: x (and so y) NHWC.
void maybeChannelsLast(AttrList &conv, TensorType &x) {
  if (uniform(0, 1) == 0)
    return;
  conv.push_back({"channels_last", Attribute(true)});
  x.shape = permuteShape(x.shape, kNchwToNhwc);
}

// Runs `graph` on `inputs` on every path and expects the interpreter's
// bytes.
void expectSameBytesOnEveryPath(const Graph &graph,
                                llvm::ArrayRef<Tensor> inputs,
                                const std::string &what) {
  auto expected = interpret(graph, inputs);
  ASSERT_OK(expected);
  for (const char *path : kPaths) {
    auto compiled = jitFor(path).compile(graph);
    ASSERT_OK(compiled);
    for (unsigned threads : {1u, 2u}) {
      auto actual = (*compiled)->run(inputs, RunOptions(threads));
      ASSERT_OK(actual);
      ASSERT_EQ(actual->size(), 1u);
      EXPECT_EQ(0, std::memcmp((*actual)[0].data(), (*expected)[0].data(),
                               (*expected)[0].sizeInBytes()))
          << what << ", features '" << path << "', " << threads
          << " threads: " << describeMismatch((*actual)[0], (*expected)[0]);
    }
  }
}

TEST(QLinearMatMul, EveryPathMatchesTheInterpreter) {
  for (int trial = 0; trial < 40; ++trial) {
    int64_t m = uniform(1, 70), depth = uniform(1, 150), n = uniform(1, 90);
    if (trial % 4 == 0)
      depth = uniform(1, 7); // shorter than one k quad, or just over
    if (trial % 5 == 1)
      depth = uniform(513, 1100); // K in several slices
    Shape xShape{m, depth};
    if (trial % 3 == 0)
      xShape.insert(xShape.begin(), uniform(1, 3)); // a batch
    DataType x = byteType(), w = byteType(), y = resultType();
    bool withBias = uniform(0, 1);
    std::vector<TensorType> types{{x, xShape}, {w, {depth, n}}};
    std::vector<Tensor> inputs{randomBytes(types[0]), randomBytes(types[1])};
    if (withBias) {
      types.push_back({DataType::Int32, {n}});
      inputs.push_back(randomBias(n));
    }
    Graph graph = singleOpGraph(OpKind::QLinearMatMul, types,
                                quantizationAttrs(x, w, y, n, depth));
    expectSameBytesOnEveryPath(graph, inputs,
                               fmt::format("trial {}: {}", trial,
                                           graph.toString()));
  }
}

TEST(QLinearConv2D, EveryPathMatchesTheInterpreter) {
  for (int trial = 0; trial < 30; ++trial) {
    int64_t groups = uniform(1, 3);
    int64_t groupChannels = uniform(1, 5), groupOut = uniform(1, 20);
    bool depthwise = trial % 5 == 0;
    if (depthwise) // more than one 64-channel tile in some trials
      groups = trial % 10 == 0 ? uniform(60, 150) : uniform(2, 12),
      groupChannels = 1, groupOut = 1;
    int64_t kh = uniform(1, 3), kw = uniform(1, 3);
    if (trial == 25)
      kh = 9, kw = 8; // more taps than the depthwise kernels take
    int64_t h = uniform(kh, 13), wd = uniform(kw, 13);
    AttrList conv{
        {"stride", Attribute(std::vector<int64_t>{uniform(1, 2), uniform(1, 2)})},
        {"padding", Attribute(std::vector<int64_t>{uniform(0, 2), uniform(0, 2)})},
        {"dilation", Attribute(std::vector<int64_t>{uniform(1, 2), 1})},
        {"groups", Attribute(groups)}};
    DataType x = byteType(), w = byteType(), y = resultType();
    int64_t out = groups * groupOut;
    int64_t dilatedH = (kh - 1) * conv[2].value.getIntList()[0] + 1;
    if (dilatedH > h + 2 * conv[1].value.getIntList()[0])
      conv[2].value = Attribute(std::vector<int64_t>{1, 1});
    std::vector<TensorType> types{
        {x, {uniform(1, 2), groups * groupChannels, h, wd}},
        {w, {out, groupChannels, kh, kw}}};
    maybeChannelsLast(conv, types[0]);
    std::vector<Tensor> inputs{randomBytes(types[0]), randomBytes(types[1])};
    if (uniform(0, 1)) {
      types.push_back({DataType::Int32, {out}});
      inputs.push_back(randomBias(out));
    }
    AttrList attrs =
        quantizationAttrs(x, w, y, out, groupChannels * kh * kw);
    if (depthwise && trial % 2 == 0)
      dropWeightZeroPoints(attrs, out);
    attrs.insert(attrs.end(), conv.begin(), conv.end());
    Graph graph = singleOpGraph(OpKind::QLinearConv2D, types, attrs);
    expectSameBytesOnEveryPath(graph, inputs,
                               fmt::format("trial {}: {}", trial,
                                           graph.toString()));
  }
}

// Int8 weights without zero points and whole quads of channels: the tiles
// inside the image read it directly (no patch copies), the others the
// panel; both within one layer here.
TEST(QLinearConv2D, TilesReadFromTheImageMatchTheInterpreter) {
  for (int trial = 0; trial < 12; ++trial) {
    int64_t groups = uniform(1, 2), groupChannels = 4 * uniform(8, 12);
    int64_t groupOut = uniform(1, 40);
    int64_t kh = uniform(1, 3), kw = uniform(1, 3);
    if (trial % 4 == 0)
      kh = kw = 1;
    if (trial == 4)
      groupChannels = 4 * 160; // a 1x1 kernel's K in several slices
    int64_t h = uniform(kh + 2, 14), wd = uniform(kw + 2, 14);
    int64_t dilationH = kh * 2 + 1 <= h ? uniform(1, 2) : 1;
    int64_t dilationW = kw * 2 + 1 <= wd ? uniform(1, 2) : 1;
    AttrList conv{
        {"stride", Attribute(std::vector<int64_t>{uniform(1, 2), uniform(1, 2)})},
        {"padding", Attribute(std::vector<int64_t>{uniform(0, 1), uniform(0, 1)})},
        {"dilation", Attribute(std::vector<int64_t>{dilationH, dilationW})},
        {"groups", Attribute(groups)}};
    DataType x = byteType(), y = resultType();
    int64_t out = groups * groupOut;
    std::vector<TensorType> types{
        {x, {uniform(1, 2), groups * groupChannels, h, wd}},
        {DataType::Int8, {out, groupChannels, kh, kw}}};
    maybeChannelsLast(conv, types[0]);
    std::vector<Tensor> inputs{randomBytes(types[0]), randomBytes(types[1])};
    if (uniform(0, 1)) {
      types.push_back({DataType::Int32, {out}});
      inputs.push_back(randomBias(out));
    }
    AttrList attrs = quantizationAttrs(x, DataType::Int8, y, out,
                                       groupChannels * kh * kw);
    dropWeightZeroPoints(attrs, out);
    attrs.insert(attrs.end(), conv.begin(), conv.end());
    Graph graph = singleOpGraph(OpKind::QLinearConv2D, types, attrs);
    expectSameBytesOnEveryPath(graph, inputs,
                               fmt::format("trial {}: {}", trial,
                                           graph.toString()));
  }
}

// Sums far beyond int32 wrap the same way on every path.
TEST(QLinearMatMul, WrappingSumsAgree) {
  int64_t depth = 70001, n = 17;
  TensorType x{DataType::UInt8, {3, depth}}, w{DataType::Int8, {depth, n}};
  Tensor xs(x), ws(w);
  std::memset(xs.data(), 255, xs.sizeInBytes());
  std::memset(ws.data(), 0x80, ws.sizeInBytes()); // -128
  AttrList attrs{{"x_scale", Attribute(1.0)},
                 {"w_scale", Attribute(1.0)},
                 {"w_zero_point", Attribute(int64_t(127))},
                 {"y_scale", Attribute(1e-6)},
                 {"y_zero_point", Attribute(int64_t(7))},
                 {"dtype", Attribute(EnumValue{"Int8"})}};
  Graph graph = singleOpGraph(OpKind::QLinearMatMul, {x, w}, attrs);
  expectSameBytesOnEveryPath(graph, {xs, ws}, "wrapping sums");
}

// Large enough to be split over threads, on the default path.
TEST(QLinearConv2D, LargeLayerMatchesTheInterpreter) {
  TensorType x{DataType::UInt8, {1, 64, 28, 28}},
      w{DataType::Int8, {48, 64, 3, 3}};
  AttrList attrs = quantizationAttrs(DataType::UInt8, DataType::Int8,
                                     DataType::UInt8, 48, 64 * 9);
  attrs.push_back({"padding", Attribute(int64_t(1))});
  Graph graph = singleOpGraph(OpKind::QLinearConv2D, {x, w}, attrs);
  expectSameBytesOnEveryPath(graph, {randomBytes(x), randomBytes(w)},
                             "64 -> 48 channels, 28x28 (K in two slices)");
}

// Small images with many channels: tasks take parts of the columns
// (output channels), on one thread and on two.
TEST(QLinearConv2D, TasksSplitOverColumnsMatchTheInterpreter) {
  for (bool channelsLast : {false, true}) {
    AttrList layout;
    if (channelsLast)
      layout.push_back({"channels_last", Attribute(true)});
    auto nchwOrNhwc = [&](Shape shape) {
      return channelsLast ? permuteShape(shape, kNchwToNhwc) : shape;
    };
    // A 1x1 convolution, 1024 -> 200 channels over 4x4 positions.
    TensorType x{DataType::UInt8, nchwOrNhwc({1, 1024, 4, 4})},
        w{DataType::Int8, {200, 1024, 1, 1}};
    // Int8 and UInt8 results through the 64-column NHWC epilogue.
    DataType y = channelsLast ? DataType::Int8 : DataType::UInt8;
    DataType dy = channelsLast ? DataType::UInt8 : DataType::Int8;
    AttrList attrs = quantizationAttrs(DataType::UInt8, DataType::Int8, y,
                                       200, 1024);
    attrs.insert(attrs.end(), layout.begin(), layout.end());
    expectSameBytesOnEveryPath(
        singleOpGraph(OpKind::QLinearConv2D, {x, w}, attrs),
        {randomBytes(x), randomBytes(w)}, "1x1, 1024 -> 200 channels, 4x4");
    // Two groups of 2048 -> 128 channels: parts of each group's columns.
    TensorType gx{DataType::UInt8, nchwOrNhwc({1, 4096, 4, 4})},
        gw{DataType::Int8, {256, 2048, 1, 1}};
    AttrList gAttrs = quantizationAttrs(DataType::UInt8, DataType::Int8, y,
                                        256, 2048);
    gAttrs.push_back({"groups", Attribute(int64_t(2))});
    gAttrs.insert(gAttrs.end(), layout.begin(), layout.end());
    expectSameBytesOnEveryPath(
        singleOpGraph(OpKind::QLinearConv2D, {gx, gw}, gAttrs),
        {randomBytes(gx), randomBytes(gw)}, "2 groups of 2048 -> 128, 4x4");
    // A depthwise 3x3 convolution of 300 channels over 7x7 positions.
    TensorType dx{DataType::UInt8, nchwOrNhwc({1, 300, 7, 7})},
        dw{DataType::Int8, {300, 1, 3, 3}};
    AttrList dAttrs =
        quantizationAttrs(DataType::UInt8, DataType::Int8, dy, 300, 9);
    dropWeightZeroPoints(dAttrs, 300);
    dAttrs.push_back({"padding", Attribute(int64_t(1))});
    dAttrs.push_back({"groups", Attribute(int64_t(300))});
    dAttrs.insert(dAttrs.end(), layout.begin(), layout.end());
    expectSameBytesOnEveryPath(
        singleOpGraph(OpKind::QLinearConv2D, {dx, dw}, dAttrs),
        {randomBytes(dx), randomBytes(dw)}, "depthwise 300 channels, 7x7");
  }
}

// The element of a 4-D tensor at (i0, i1, i2, i3) copied to `to` at the
// indices permuted by perm: to = Transpose(from, perm).
Tensor transpose4D(const Tensor &from, llvm::ArrayRef<int64_t> perm) {
  Shape in(from.shape());
  Tensor to(TensorType{from.elementType(), permuteShape(in, perm)});
  Shape out(to.shape());
  auto *src = static_cast<const uint8_t *>(from.data());
  auto *dst = static_cast<uint8_t *>(to.data());
  int64_t index[4];
  for (index[0] = 0; index[0] < in[0]; ++index[0])
    for (index[1] = 0; index[1] < in[1]; ++index[1])
      for (index[2] = 0; index[2] < in[2]; ++index[2])
        for (index[3] = 0; index[3] < in[3]; ++index[3]) {
          int64_t at = ((index[0] * in[1] + index[1]) * in[2] + index[2]) *
                           in[3] + index[3];
          int64_t j[4] = {index[perm[0]], index[perm[1]], index[perm[2]],
                          index[perm[3]]};
          dst[((j[0] * out[1] + j[1]) * out[2] + j[2]) * out[3] + j[3]] =
              src[at];
        }
  return to;
}

// The oracle's channels-last convolution is the NCHW one on transposed
// tensors.
TEST(QLinearConv2D, ChannelsLastIsTheTransposedConvolution) {
  for (int trial = 0; trial < 8; ++trial) {
    int64_t groups = uniform(1, 3), groupChannels = uniform(1, 4);
    int64_t out = groups * uniform(1, 5);
    TensorType x{byteType(), {uniform(1, 2), groups * groupChannels,
                              uniform(3, 9), uniform(3, 9)}};
    TensorType w{byteType(), {out, groupChannels, uniform(1, 3), uniform(1, 3)}};
    AttrList attrs = quantizationAttrs(x.elementType, w.elementType,
                                       byteType(), out, w.numElements() / out);
    attrs.push_back({"stride", Attribute(uniform(1, 2))});
    attrs.push_back({"padding", Attribute(uniform(0, 1))});
    attrs.push_back({"groups", Attribute(groups)});
    Tensor xs = randomBytes(x), ws = randomBytes(w);
    Graph nchw = singleOpGraph(OpKind::QLinearConv2D, {x, w}, attrs);
    attrs.push_back({"channels_last", Attribute(true)});
    Graph nhwc = singleOpGraph(
        OpKind::QLinearConv2D,
        {TensorType{x.elementType, permuteShape(x.shape, kNchwToNhwc)}, w},
        attrs);
    auto expected = interpret(nchw, {xs, ws});
    ASSERT_OK(expected);
    auto actual = interpret(nhwc, {transpose4D(xs, kNchwToNhwc), ws});
    ASSERT_OK(actual);
    Tensor actualNchw = transpose4D((*actual)[0], kNhwcToNchw);
    EXPECT_EQ(0, std::memcmp(actualNchw.data(), (*expected)[0].data(),
                             actualNchw.sizeInBytes()))
        << nhwc.toString();
  }
}

// Transposes of bytes that swap two groups of axes run in the runtime's
// tiled transpose: edges of every size, batches, both directions.
TEST(Transpose, BytesSwappingAxisGroupsMatchTheInterpreter) {
  const std::vector<int64_t> perms[] = {
      {0, 2, 3, 1}, {0, 3, 1, 2}, {1, 0}, {1, 2, 0}, {0, 1, 3, 2}};
  for (int trial = 0; trial < 20; ++trial) {
    const std::vector<int64_t> &perm = perms[trial % 5];
    Shape shape;
    for (size_t d = 0; d < perm.size(); ++d)
      shape.push_back(uniform(1, trial % 2 ? 40 : 7));
    TensorType x{trial % 3 ? DataType::UInt8 : DataType::Int8, shape};
    Graph graph = singleOpGraph(OpKind::Transpose, {x},
                                {{"perm", Attribute(perm)}});
    expectSameBytesOnEveryPath(graph, {randomBytes(x)},
                               fmt::format("trial {}: {}", trial,
                                           graph.toString()));
  }
  // Layers' activations: strips of the longer side split over threads
  // (columns of an image's 3 channels, rows of 64 channels' pixels, batches).
  const std::pair<Shape, std::vector<int64_t>> layers[] = {
      {{1, 3, 224, 224}, {0, 2, 3, 1}},
      {{1, 112, 112, 64}, {0, 3, 1, 2}},
      {{2, 64, 56, 57}, {0, 2, 3, 1}}};
  for (const auto &[shape, perm] : layers) {
    TensorType x{DataType::UInt8, shape};
    Graph graph = singleOpGraph(OpKind::Transpose, {x},
                                {{"perm", Attribute(perm)}});
    expectSameBytesOnEveryPath(graph, {randomBytes(x)}, graph.toString());
  }
}

} // namespace

// A QLinear op of Float32 result followed by elementwise ops: the JIT's
// default passes fuse them into one kernel whose epilogue runs over each
// band of the product as soon as it is written (or, where the bands do not
// fit the loop, over the whole product after it). `other` is the shape of
// the Add's second operand: the product's (one flat loop, bands of any
// columns), a row of channels (a broadcast: whole rows only) or a
// broadcast over images. Compared byte for byte with the interpreter on
// every path, on one thread and on two, with the weights as inputs (packed
// at run time) and as constants (packed at compile time).
struct EpilogueCase {
  std::string what;
  OpKind kind;
  TensorType x, w;
  AttrList attrs; // the op's layout attributes
  Shape other;
};

ValueId built(llvm::Expected<ValueId> id) {
  if (!expectOk(id, "building the graph"))
    std::abort();
  return *id;
}

Graph epilogueGraph(const EpilogueCase &c, bool constantWeights,
                    std::vector<Tensor> &inputs) {
  Graph graph("epilogue");
  Builder b(graph);
  inputs = {randomBytes(c.x)};
  ValueId x = b.addInput(c.x), w;
  Tensor weights = randomBytes(c.w);
  if (constantWeights) {
    w = built(b.constant(weights));
  } else {
    w = b.addInput(c.w);
    inputs.push_back(weights);
  }
  int64_t columns = c.kind == OpKind::QLinearMatMul ? c.w.shape[1]
                                                    : c.w.shape[0];
  int64_t depth = numElements(c.w.shape) / columns;
  AttrList attrs = quantizationAttrs(c.x.elementType, c.w.elementType,
                                     DataType::Float32, columns, depth);
  attrs.insert(attrs.end(), c.attrs.begin(), c.attrs.end());
  ValueId product = built(b.create(c.kind, {x, w}, attrs));
  TensorType otherType{DataType::Float32, c.other};
  ValueId other = b.addInput(otherType);
  inputs.push_back(randomTensor(otherType, FillOptions{}));
  ValueId sum = built(b.create(OpKind::Add, {product, other}));
  ValueId relu = built(b.create(OpKind::ReLU, {sum}));
  ValueId fq = built(b.create(OpKind::FakeQuantization, {relu},
                                {{"num_bits", Attribute(int64_t(8))},
                                 {"scale", Attribute(0.05)}}));
  b.setOutputs({fq});
  return graph;
}

TEST(QLinearEpilogue, FusedElementwiseOpsMatchTheInterpreter) {
  AttrList nhwc{{"channels_last", Attribute(true)}};
  auto with = [](AttrList attrs, AttrList more) {
    attrs.insert(attrs.end(), more.begin(), more.end());
    return attrs;
  };
  AttrList padded{{"padding", Attribute(int64_t(1))}};
  const DataType u8 = DataType::UInt8, s8 = DataType::Int8;
  std::vector<EpilogueCase> cases{
      {"matmul, residual", OpKind::QLinearMatMul, {u8, {300, 70}},
       {s8, {70, 90}}, {}, {300, 90}},
      {"batched matmul, a row broadcast", OpKind::QLinearMatMul,
       {s8, {3, 130, 33}}, {u8, {33, 50}}, {}, {50}},
      {"matmul, a matrix broadcast over the batch", OpKind::QLinearMatMul,
       {u8, {2, 70, 40}}, {s8, {40, 20}}, {}, {70, 20}},
      {"NHWC 3x3, residual", OpKind::QLinearConv2D, {u8, {2, 23, 19, 8}},
       {s8, {40, 8, 3, 3}}, with(nhwc, padded), {2, 23, 19, 40}},
      {"NHWC 1x1, 1024 -> 200 channels in parts, residual",
       OpKind::QLinearConv2D, {u8, {1, 4, 4, 1024}}, {s8, {200, 1024, 1, 1}},
       nhwc, {1, 4, 4, 200}},
      {"NHWC 1x1, a channel broadcast (whole rows)", OpKind::QLinearConv2D,
       {u8, {1, 4, 4, 1024}}, {s8, {200, 1024, 1, 1}}, nhwc, {200}},
      {"NHWC, a broadcast over images and rows", OpKind::QLinearConv2D,
       {s8, {3, 9, 7, 16}}, {s8, {24, 16, 3, 3}}, with(nhwc, padded),
       {1, 1, 7, 24}},
      {"NHWC depthwise, a channel broadcast", OpKind::QLinearConv2D,
       {u8, {1, 15, 15, 96}}, {s8, {96, 1, 3, 3}},
       with(nhwc, {{"groups", Attribute(int64_t(96))},
                   {"padding", Attribute(int64_t(1))}}),
       {96}},
      {"NHWC grouped, a channel broadcast (after the product)",
       OpKind::QLinearConv2D, {u8, {1, 6, 6, 32}}, {s8, {48, 16, 3, 3}},
       with(nhwc, {{"groups", Attribute(int64_t(2))}}), {48}},
      {"NCHW, residual (after the product)", OpKind::QLinearConv2D,
       {u8, {2, 8, 11, 9}}, {s8, {12, 8, 3, 3}}, padded, {2, 12, 11, 9}},
  };
  for (const EpilogueCase &c : cases)
    for (bool constantWeights : {false, true}) {
      std::vector<Tensor> inputs;
      Graph graph = epilogueGraph(c, constantWeights, inputs);
      // What the JIT's passes make of it: one fused op, the QLinear first.
      Module module;
      const Graph &fused = module.addGraph(graph);
      auto pipeline = parsePassPipeline("fuse-elementwise");
      ASSERT_OK(pipeline);
      ASSERT_OK(pipeline->run(module));
      const Operation &last = fused.getOps().back();
      ASSERT_EQ(last.getKind(), OpKind::FusedElementwise) << fused.toString();
      EXPECT_EQ(last.getBody()->getOps().front().getKind(), c.kind);
      expectSameBytesOnEveryPath(
          graph, inputs,
          fmt::format("{}, weights {}: {}", c.what,
                      constantWeights ? "constant" : "an input",
                      graph.toString()));
    }
}
