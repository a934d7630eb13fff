//===- JitGemmTest.cpp - MatMul and Conv2D through the JIT ----------------===//
//
// The JIT's MatMul (every numeric type, batch broadcasting) and Conv2D
// (groups, depthwise, stride, padding, dilation, bias, 1x1) at -O0 and -O2
// against plain loops written here from the definitions, and against the
// interpreter. Float sums may be ordered differently (BLAS), so floats
// agree within the suite's relative bound rtol * (|expected| +
// max |expected|) (test/golden/compare_npy.py); integers wrap and agree
// exactly.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/OpParams.h"
#include <filesystem>
#include <thread>
#include <fmt/format.h>

// libgomp's, which oneDNN runs on here (lib/JIT/BlasRuntime.cpp).
extern "C" int omp_get_max_threads(void);
extern "C" void omp_set_num_threads(int);

using namespace qjit;
using namespace qjit::test;

namespace {

// The sums of the references below run in double; what is left is the
// JIT's own rounding in the element type.
double relativeTolerance(DataType type) {
  return type == DataType::Float32 ? 1e-5 : 1e-12;
}

//===----------------------------------------------------------------------===//
// References, straight from the definitions.
//===----------------------------------------------------------------------===//

// a * b + c with integer arithmetic wrapping (through uint64_t: no UB).
template <typename T> T wrappingMulAdd(T a, T b, T c) {
  return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b) +
                        static_cast<uint64_t>(c));
}

// The index into an operand of shape `shape` (right-aligned, size-1
// dimensions broadcast) of the batch position `position` of `batch`.
int64_t broadcastIndex(llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<int64_t> batch,
                       llvm::ArrayRef<int64_t> position) {
  int64_t index = 0;
  size_t lead = batch.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    index = index * shape[d] + (shape[d] == 1 ? 0 : position[lead + d]);
  return index;
}

template <typename T>
void naiveMatMul(const Tensor &a, const Tensor &b, Tensor &c) {
  llvm::ArrayRef<int64_t> as = a.shape(), bs = b.shape(), cs = c.shape();
  int64_t m = as[as.size() - 2], depth = as.back(), n = bs.back();
  llvm::ArrayRef<int64_t> batch = cs.drop_back(2);
  int64_t batches = numElements(batch);
  const T *pa = a.as<T>(), *pb = b.as<T>();
  T *pc = c.as<T>();
  Shape position(batch.size(), 0);
  for (int64_t flat = 0; flat < batches; ++flat) {
    for (int64_t d = batch.size() - 1, rest = flat; d >= 0; --d) {
      position[d] = rest % batch[d];
      rest /= batch[d];
    }
    const T *ma =
        pa + broadcastIndex(as.drop_back(2), batch, position) * m * depth;
    const T *mb =
        pb + broadcastIndex(bs.drop_back(2), batch, position) * depth * n;
    T *mc = pc + flat * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        if constexpr (std::is_floating_point_v<T>) {
          double sum = 0;
          for (int64_t k = 0; k < depth; ++k)
            sum += double(ma[i * depth + k]) * double(mb[k * n + j]);
          mc[i * n + j] = T(sum);
        } else {
          T sum = 0;
          for (int64_t k = 0; k < depth; ++k)
            sum = wrappingMulAdd(ma[i * depth + k], mb[k * n + j], sum);
          mc[i * n + j] = sum;
        }
      }
  }
}

template <typename T>
void naiveConv2D(const Tensor &x, const Tensor &w, const Tensor *bias,
                 const Conv2DParams &p, Tensor &y) {
  int64_t batch = x.shape()[0], channels = x.shape()[1];
  int64_t height = x.shape()[2], width = x.shape()[3];
  int64_t outChannels = w.shape()[0], groupChannels = w.shape()[1];
  int64_t kh = w.shape()[2], kw = w.shape()[3];
  int64_t outH = y.shape()[2], outW = y.shape()[3];
  int64_t groupOut = outChannels / p.groups;
  const T *px = x.as<T>(), *pw = w.as<T>();
  T *py = y.as<T>();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < outChannels; ++o) {
      int64_t g = o / groupOut;
      for (int64_t oy = 0; oy < outH; ++oy)
        for (int64_t ox = 0; ox < outW; ++ox) {
          double sum = bias ? double(bias->as<T>()[o]) : 0.0;
          for (int64_t c = 0; c < groupChannels; ++c)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t iy = oy * p.strideH - p.padH + ky * p.dilationH;
                int64_t ix = ox * p.strideW - p.padW + kx * p.dilationW;
                int64_t channel = g * groupChannels + c;
                // Padding cells are zeros, multiplied like any value.
                double in =
                    iy < 0 || iy >= height || ix < 0 || ix >= width
                        ? 0.0
                        : double(px[((n * channels + channel) * height + iy) *
                                        width +
                                    ix]);
                sum +=
                    in *
                    double(pw[((o * groupChannels + c) * kh + ky) * kw + kx]);
              }
          py[((n * outChannels + o) * outH + oy) * outW + ox] = T(sum);
        }
    }
}

// The reference result of the single MatMul or Conv2D of `graph`.
Tensor reference(const Graph &graph, llvm::ArrayRef<Tensor> inputs) {
  const Operation &op = graph.getOps().back();
  Tensor out(graph.getType(op.getResult()));
  visitElementType(out.elementType(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>)
      ADD_FAILURE() << "Bool has no product";
    else if (op.getKind() == OpKind::MatMul)
      naiveMatMul<T>(inputs[0], inputs[1], out);
    else if constexpr (std::is_floating_point_v<T>)
      naiveConv2D<T>(inputs[0], inputs[1],
                     inputs.size() == 3 ? &inputs[2] : nullptr,
                     llvm::cantFail(getConv2DParams(op)), out);
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Comparison.
//===----------------------------------------------------------------------===//

template <typename T>
testing::AssertionResult closeFloats(const T *actual, const T *expected,
                                     int64_t count, double rtol) {
  double floor = 0;
  for (int64_t i = 0; i < count; ++i)
    if (std::isfinite(expected[i]))
      floor = std::max(floor, std::fabs(double(expected[i])));
  for (int64_t i = 0; i < count; ++i) {
    double a = actual[i], e = expected[i];
    bool ok = std::isfinite(e)
                  ? std::fabs(a - e) <= rtol * (std::fabs(e) + floor)
                  : (std::isnan(a) && std::isnan(e)) || a == e;
    if (!ok)
      return testing::AssertionFailure()
             << "element " << i << ": " << a << " vs " << e << " (rtol " << rtol
             << ", floor " << floor << ")";
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult close(const Tensor &actual, const Tensor &expected) {
  if (actual.getType() != expected.getType())
    return testing::AssertionFailure() << actual.getType().toString() << " vs "
                                       << expected.getType().toString();
  double rtol = relativeTolerance(actual.elementType());
  switch (actual.elementType()) {
  case DataType::Float32:
    return closeFloats(actual.as<float>(), expected.as<float>(),
                       actual.numElements(), rtol);
  case DataType::Float64:
    return closeFloats(actual.as<double>(), expected.as<double>(),
                       actual.numElements(), rtol);
  default:
    if (actual.bitwiseEqual(expected))
      return testing::AssertionSuccess();
    return testing::AssertionFailure() << describeMismatch(actual, expected);
  }
}

// Floats uniform in [-1, 1]; integers as JitTestSupport makes them (small,
// and some anywhere in the range so that sums wrap).
std::vector<Tensor> gemmInputs(const Graph &graph) {
  return randomInputs(graph, FillOptions{/*range=*/1.0});
}

// Runs `graph` through the JIT at -O0 and -O2 and the interpreter and
// compares both with the reference loops.
void expectReference(const Graph &graph, llvm::ArrayRef<Tensor> inputs,
                     const std::string &what) {
  SCOPED_TRACE(what + "\n" + graph.toString());
  Tensor expected = reference(graph, inputs);
  for (unsigned opt : kOptLevels) {
    SCOPED_TRACE("-O" + std::to_string(opt));
    auto compiled = jitAt(opt).compile(graph);
    ASSERT_OK(compiled);
    auto actual = (*compiled)->run(inputs);
    ASSERT_OK(actual);
    EXPECT_TRUE(close((*actual)[0], expected));
  }
  auto interpreted = interpret(graph, inputs);
  ASSERT_OK(interpreted);
  EXPECT_TRUE(close((*interpreted)[0], expected)) << "interpreter";
}

Graph matMulGraph(DataType type, const Shape &a, const Shape &b) {
  return singleOpGraph(OpKind::MatMul, {{type, a}, {type, b}});
}

//===----------------------------------------------------------------------===//
// MatMul.
//===----------------------------------------------------------------------===//

struct MatMulCase {
  Shape a, b;
};

const MatMulCase kMatMulCases[] = {
    {{1, 1}, {1, 1}},
    {{1, 17}, {17, 1}},           // dot product
    {{9, 1}, {1, 11}},            // outer product
    {{7, 13}, {13, 5}},           // odd sizes
    {{33, 65}, {65, 17}},         // past vector widths and BLAS tiles
    {{2, 1, 4, 6}, {3, 6, 5}},    // batch broadcast on both sides
    {{2, 1, 5, 3}, {3, 3, 7}},    // [2,1,M,K] x [3,K,N]
    {{3, 5, 4}, {4, 6}},          // one B for the batch: one tall product
    {{2, 3, 5, 4}, {1, 4, 6}},    // likewise, with a size-1 batch on B
    {{4, 6}, {3, 6, 5}},          // one A for the batch
    {{2, 3, 4, 5}, {2, 3, 5, 6}}, // equal batches
    {{3, 1, 2, 7}, {1, 4, 7, 3}}, // both broadcast, B's batch innermost
};

TEST(JitGemm, MatMulShapesEveryType) {
  for (DataType type : kNumericTypes)
    for (const MatMulCase &c : kMatMulCases) {
      Graph graph = matMulGraph(type, c.a, c.b);
      expectReference(graph, gemmInputs(graph),
                      fmt::format("{} {} x {}", dataTypeName(type).str(),
                                  shapeToString(c.a), shapeToString(c.b)));
    }
}

TEST(JitGemm, MatMulLargeFloats) {
  for (DataType type : {DataType::Float32, DataType::Float64}) {
    for (MatMulCase c : {MatMulCase{{130, 257}, {257, 129}},
                         MatMulCase{{2, 64, 300}, {300, 96}},
                         MatMulCase{{1, 1000}, {1000, 500}}}) {
      Graph graph = matMulGraph(type, c.a, c.b);
      expectReference(graph, gemmInputs(graph),
                      fmt::format("{} {} x {}", dataTypeName(type).str(),
                                  shapeToString(c.a), shapeToString(c.b)));
    }
  }
}

TEST(JitGemm, MatMulLargeIntegersWrap) {
  for (DataType type : {DataType::Int8, DataType::Int32, DataType::Int64}) {
    Graph graph = matMulGraph(type, {67, 129}, {129, 71});
    expectReference(graph, gemmInputs(graph),
                    fmt::format("{} 67x129x71", dataTypeName(type).str()));
  }
}

TEST(JitGemm, MatMulEmptySums) {
  // K = 0: every element is an empty sum, 0. M = 0 or a zero batch: nothing.
  for (DataType type : {DataType::Float32, DataType::Int16}) {
    for (MatMulCase c :
         {MatMulCase{{3, 0}, {0, 4}}, MatMulCase{{2, 3, 0}, {0, 5}},
          MatMulCase{{0, 4}, {4, 3}}, MatMulCase{{0, 2, 4}, {4, 3}}}) {
      Graph graph = matMulGraph(type, c.a, c.b);
      std::vector<Tensor> inputs = gemmInputs(graph);
      Tensor expected(graph.getType(graph.getOutputs()[0]));
      for (unsigned opt : kOptLevels) {
        auto compiled = jitAt(opt).compile(graph);
        ASSERT_OK(compiled);
        // Outputs full of garbage must come back as zeros.
        Tensor out(expected.getType());
        std::memset(out.data(), 0x5a, out.sizeInBytes());
        TensorRef outRef = out.ref();
        llvm::SmallVector<TensorRef, 2> inRefs;
        for (Tensor &t : inputs)
          inRefs.push_back(t.ref());
        llvm::Error err = (*compiled)->run(inRefs, outRef);
        ASSERT_OK(err);
        EXPECT_TRUE(out.bitwiseEqual(expected))
            << shapeToString(c.a) << " x " << shapeToString(c.b) << " -O"
            << opt;
      }
    }
  }
}

TEST(JitGemm, MatMulPropagatesNaNAndInfinity) {
  // Row 1 of A holds a NaN and column 2 of B an infinity: C[1, :] is NaN,
  // C[:, 2] is +-inf except C[1, 2] (NaN) and where inf meets 0 (NaN).
  for (DataType type : {DataType::Float32, DataType::Float64}) {
    Graph graph = matMulGraph(type, {4, 6}, {6, 5});
    std::vector<Tensor> inputs = gemmInputs(graph);
    auto setA = [&](int64_t i, double v) {
      if (type == DataType::Float32)
        inputs[0].as<float>()[i] = float(v);
      else
        inputs[0].as<double>()[i] = v;
    };
    auto setB = [&](int64_t i, double v) {
      if (type == DataType::Float32)
        inputs[1].as<float>()[i] = float(v);
      else
        inputs[1].as<double>()[i] = v;
    };
    setA(1 * 6 + 3, NAN);
    setB(4 * 5 + 2, INFINITY);
    setA(2 * 6 + 4, 0.0); // inf * 0 = NaN in C[2, 2]
    expectReference(graph, inputs,
                    fmt::format("{} NaN/inf", dataTypeName(type).str()));
  }
}

TEST(JitGemm, MatMulInsideAGraph) {
  // Intermediates in the workspace, a bias added after the product, the
  // result used twice: y = relu(x w + b) w2.
  Graph graph("mlp");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {5, 12});
  ValueId w = b.addInput(DataType::Float32, {12, 9});
  ValueId bias = b.addInput(DataType::Float32, {9});
  ValueId w2 = b.addInput(DataType::Float32, {9, 3});
  ValueId h = cantFail(b.create(OpKind::MatMul, {x, w}));
  ValueId hb = cantFail(b.create(OpKind::Add, {h, bias}));
  ValueId r = cantFail(b.create(OpKind::ReLU, {hb}));
  ValueId y = cantFail(b.create(OpKind::MatMul, {r, w2}));
  b.setOutputs({y, h});
  std::vector<Tensor> inputs = gemmInputs(graph);

  // The same computation from the reference loops.
  Tensor hRef({5, 9}, llvm::ArrayRef<float>(std::vector<float>(45)));
  naiveMatMul<float>(inputs[0], inputs[1], hRef);
  Tensor rRef = hRef;
  for (int64_t i = 0; i < 45; ++i) {
    float v = hRef.as<float>()[i] + inputs[2].as<float>()[i % 9];
    rRef.as<float>()[i] = v <= 0 ? 0.0f : v;
  }
  Tensor yRef({5, 3}, llvm::ArrayRef<float>(std::vector<float>(15)));
  naiveMatMul<float>(rRef, inputs[3], yRef);

  for (unsigned opt : kOptLevels) {
    auto compiled = jitAt(opt).compile(graph);
    ASSERT_OK(compiled);
    auto outputs = (*compiled)->run(inputs);
    ASSERT_OK(outputs);
    EXPECT_TRUE(close((*outputs)[0], yRef)) << "-O" << opt;
    EXPECT_TRUE(close((*outputs)[1], hRef)) << "-O" << opt;
  }
}

TEST(JitGemm, MatMulFromSeveralThreads) {
  // BLAS and the compiled code are shared: concurrent runs must not mix.
  Graph graph = matMulGraph(DataType::Float32, {2, 48, 40}, {40, 56});
  auto compiled = jitAt(2).compile(graph);
  ASSERT_OK(compiled);
  constexpr int kThreads = 4;
  std::vector<std::vector<Tensor>> inputs;
  std::vector<Tensor> expected;
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(gemmInputs(graph));
    expected.push_back(reference(graph, inputs.back()));
  }
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 50; ++repeat) {
        auto out = (*compiled)->run(inputs[t]);
        if (!out) {
          failures[t] = llvm::toString(out.takeError());
          return;
        }
        if (auto ok = close((*out)[0], expected[t]); !ok) {
          failures[t] = ok.message();
          return;
        }
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(failures[t], "") << "thread " << t;
}

// The threads of this process now.
int processThreads() {
  int threads = 0;
  for ([[maybe_unused]] const auto &entry :
       std::filesystem::directory_iterator("/proc/self/task"))
    ++threads;
  return threads;
}

TEST(JitGemm, OneDnnRunsOnTheCallingThread) {
  // oneDNN (Debian's build: OpenMP) would start a team of the calling
  // thread's OpenMP limit for each call, on top of qjit's own threads; each
  // call is held to its thread, and the caller's limit is left as it was.
  // A 512^3 product runs in 4 bands of rows, each one qjit_sgemm call.
  Graph graph = matMulGraph(DataType::Float32, {512, 512}, {512, 512});
  auto compiled = jitAt(2).compile(graph);
  ASSERT_OK(compiled);
  std::vector<Tensor> inputs = gemmInputs(graph);
  Tensor expected = reference(graph, inputs);
  int callerLimit = omp_get_max_threads();
  omp_set_num_threads(4);
  int before = processThreads();
  auto serial = (*compiled)->run(inputs, RunOptions{1});
  ASSERT_OK(serial);
  EXPECT_TRUE(close((*serial)[0], expected));
  // One thread: no TBB, and no OpenMP team.
  EXPECT_EQ(processThreads(), before);
  auto parallel = (*compiled)->run(inputs, RunOptions{2});
  ASSERT_OK(parallel);
  EXPECT_TRUE(close((*parallel)[0], expected));
  // At most oneTBB's workers on top.
  int workers = int(std::max(1u, std::thread::hardware_concurrency())) - 1;
  EXPECT_LE(processThreads(), before + workers);
  EXPECT_EQ(omp_get_max_threads(), 4);
  omp_set_num_threads(callerLimit);
}

TEST(JitGemm, FloatsCallBlasIntegersVectorize) {
  auto ir = [](DataType type) {
    auto text = jitAt(2).emitLLVMIR(matMulGraph(type, {16, 32}, {32, 64}));
    EXPECT_OK(text);
    return text ? *text : std::string();
  };
  EXPECT_NE(ir(DataType::Float32).find("call void @qjit_sgemm("),
            std::string::npos);
  EXPECT_NE(ir(DataType::Float64).find("call void @qjit_dgemm("),
            std::string::npos);
  std::string ints = ir(DataType::Int32);
  EXPECT_EQ(ints.find("gemm"), std::string::npos);
  EXPECT_NE(ints.find("mul <"), std::string::npos) << ints;
}

//===----------------------------------------------------------------------===//
// Conv2D.
//===----------------------------------------------------------------------===//

struct ConvCase {
  const char *name;
  Shape input, weight;
  bool bias;
  AttrList attrs;
};

const ConvCase kConvCases[] = {
    {"basic 3x3", {1, 3, 8, 8}, {4, 3, 3, 3}, false, {}},
    {"stride 2, padding 1, bias",
     {2, 3, 9, 11},
     {5, 3, 3, 3},
     true,
     {{"stride", 2}, {"padding", 1}}},
    {"groups 2, mixed stride/padding/dilation",
     {2, 4, 9, 11},
     {6, 2, 3, 3},
     true,
     {{"stride", std::vector<int64_t>{2, 1}},
      {"padding", std::vector<int64_t>{1, 2}},
      {"dilation", std::vector<int64_t>{1, 2}},
      {"groups", 2}}},
    {"depthwise 3x3 pad 1",
     {1, 8, 7, 7},
     {8, 1, 3, 3},
     true,
     {{"padding", 1}, {"groups", 8}}},
    {"depthwise x2 multiplier, 5x3, stride 2",
     {2, 4, 10, 9},
     {8, 1, 5, 3},
     false,
     {{"stride", 2}, {"padding", std::vector<int64_t>{2, 1}}, {"groups", 4}}},
    {"depthwise dilation 2 stride [1, 3]",
     {1, 3, 12, 13},
     {3, 1, 3, 3},
     true,
     {{"stride", std::vector<int64_t>{1, 3}},
      {"padding", 2},
      {"dilation", 2},
      {"groups", 3}}},
    {"depthwise without padding",
     {1, 3, 10, 11},
     {6, 1, 3, 2},
     false,
     {{"stride", std::vector<int64_t>{2, 1}}, {"groups", 3}}},
    {"depthwise 9x9 (taps one at a time)",
     {2, 2, 12, 13},
     {2, 1, 9, 9},
     true,
     {{"padding", 4}, {"groups", 2}}},
    {"depthwise 9x8 stride 2 dilation 2",
     {1, 2, 20, 21},
     {4, 1, 9, 8},
     false,
     {{"stride", 2}, {"padding", 3}, {"dilation", 2}, {"groups", 2}}},
    {"depthwise, planes split over threads",
     {2, 40, 37, 29},
     {40, 1, 3, 3},
     true,
     {{"padding", 1}, {"groups", 40}}},
    {"one input channel", {2, 1, 28, 28}, {6, 1, 5, 5}, true, {}},
    {"1x1", {2, 16, 5, 7}, {8, 16, 1, 1}, true, {}},
    {"1x1 groups 2", {1, 16, 5, 7}, {6, 8, 1, 1}, false, {{"groups", 2}}},
    // Fewer pixels than output channels: bands of output channels.
    {"1x1, bands of output channels", {2, 24, 4, 5}, {64, 24, 1, 1}, true, {}},
    {"1x1 groups 2, bands of output channels",
     {1, 32, 3, 3},
     {96, 16, 1, 1},
     true,
     {{"groups", 2}}},
    {"1x1, bands of pixels", {1, 8, 20, 21}, {16, 8, 1, 1}, true, {}},
    {"1x1 stride 2", {1, 4, 9, 9}, {3, 4, 1, 1}, true, {{"stride", 2}}},
    {"1x1 padding 1", {1, 4, 3, 3}, {3, 4, 1, 1}, false, {{"padding", 1}}},
    {"kernel wider than the input",
     {1, 2, 3, 3},
     {2, 2, 5, 5},
     true,
     {{"padding", 2}}},
    {"several bands", {1, 32, 40, 40}, {16, 32, 3, 3}, true, {{"padding", 1}}},
    {"bands with stride and dilation",
     {2, 8, 37, 41},
     {12, 4, 3, 5},
     true,
     {{"stride", 2}, {"padding", 3}, {"dilation", 2}, {"groups", 2}}},
};

TEST(JitGemm, Conv2DCases) {
  for (DataType type : {DataType::Float32, DataType::Float64})
    for (const ConvCase &c : kConvCases) {
      std::vector<TensorType> inputs = {{type, c.input}, {type, c.weight}};
      if (c.bias)
        inputs.push_back({type, {c.weight[0]}});
      Graph graph = singleOpGraph(OpKind::Conv2D, inputs, c.attrs);
      ASSERT_EQ(graph.getOps().size(), 1u) << c.name;
      expectReference(graph, gemmInputs(graph),
                      fmt::format("{} {}", dataTypeName(type).str(), c.name));
    }
}

TEST(JitGemm, Conv2DNonFiniteValuesMeetPadding) {
  // An infinite weight times a padding zero is NaN on the border; a NaN
  // input spreads to every output whose window holds it. Every route.
  struct Route {
    const char *name;
    Shape input, weight;
    AttrList attrs;
  };
  const Route routes[] = {
      {"im2col", {1, 3, 6, 7}, {2, 3, 3, 3}, {{"padding", 1}}},
      {"depthwise",
       {1, 2, 6, 7},
       {2, 1, 3, 3},
       {{"padding", 1}, {"groups", 2}}},
      {"depthwise 9x9",
       {1, 2, 10, 9},
       {2, 1, 9, 9},
       {{"padding", 4}, {"groups", 2}}},
  };
  for (const Route &r : routes) {
    Graph graph = singleOpGraph(OpKind::Conv2D,
                                {{DataType::Float32, r.input},
                                 {DataType::Float32, r.weight},
                                 {DataType::Float32, {r.weight[0]}}},
                                r.attrs);
    std::vector<Tensor> inputs = gemmInputs(graph);
    float *w = inputs[1].as<float>();
    w[0] = INFINITY; // tap (0, 0) of output channel 0
    w[inputs[1].numElements() - 1] = NAN;
    inputs[0].as<float>()[inputs[0].numElements() / 2] = NAN;
    expectReference(graph, inputs, r.name);
  }
}

TEST(JitGemm, Conv2DRoutes) {
  // Depthwise runs its own loops; the others call BLAS.
  auto ir = [](const Shape &input, const Shape &weight, AttrList attrs) {
    Graph graph = singleOpGraph(
        OpKind::Conv2D,
        {{DataType::Float32, input}, {DataType::Float32, weight}}, attrs);
    auto text = jitAt(2).emitLLVMIR(graph);
    EXPECT_OK(text);
    return text ? *text : std::string();
  };
  EXPECT_EQ(ir({1, 8, 9, 9}, {8, 1, 3, 3}, {{"groups", 8}}).find("gemm"),
            std::string::npos);
  EXPECT_NE(ir({1, 8, 9, 9}, {4, 8, 1, 1}, {}).find("@qjit_sgemm("),
            std::string::npos);
  EXPECT_NE(ir({1, 8, 9, 9}, {4, 8, 3, 3}, {}).find("@qjit_sgemm("),
            std::string::npos);
}

} // namespace
