//===- train_qat_mlp.cpp - Quantization-aware training with autodiff ------===//
//
// Trains a 2 -> 32 -> 3 MLP on a three-arm spiral it generates (fixed
// seed), with fake quantization on both weight matrices (8-bit symmetric,
// per output channel, scale from the data, straight-through gradient) and on
// the hidden activations (8-bit grid [0, 255] of step 1/32, clipped
// gradient). The loss, the mean cross entropy, is part of the graph:
//
//   logits = FQ(ReLU(x FQ(w1) + b1)) FQ(w2) + b2
//   loss   = -mean(sum(LogSoftmax(logits) * onehot, axis 1))
//
// The C++ API builds the step graph, the autodiff pass adds its gradient
// graph, the JIT compiles both once, and every minibatch runs the forward
// (the loss) and the backward (the gradients) on our own buffers; SGD
// updates the parameters in C++. At the end: the loss per epoch has been
// printed, the accuracy on the whole data set must be far above chance, and
// the deployed weights FQ(w) must lie on their grid, exactly q * s.
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Builder.h"
#include "qjit/IR/Verifier.h"
#include "qjit/JIT/Jit.h"
#include "qjit/Transforms/Autodiff.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <numeric>
#include <random>
#include <vector>

using namespace qjit;

namespace {

constexpr int64_t kClasses = 3, kPerClass = 100, kFeatures = 2, kHidden = 32;
constexpr int64_t kSamples = kClasses * kPerClass;
constexpr int64_t kBatch = 30;
constexpr int kEpochs = 60;
constexpr float kLearningRate = 0.5f;

// The spiral of CS231n: class c's points run along an arm of radius 0..1,
// angles 4c .. 4(c + 1) plus noise.
struct Dataset {
  std::vector<float> x;      // [kSamples, 2]
  std::vector<float> onehot; // [kSamples, 3]
  std::vector<int> label;
};

Dataset makeSpiral(std::mt19937 &rng) {
  std::normal_distribution<float> noise(0.0f, 0.2f);
  Dataset d;
  for (int c = 0; c < kClasses; ++c)
    for (int i = 0; i < kPerClass; ++i) {
      float r = float(i) / float(kPerClass - 1);
      float t = 4.0f * float(c) + 4.0f * r + noise(rng);
      d.x.push_back(r * std::sin(t));
      d.x.push_back(r * std::cos(t));
      for (int k = 0; k < kClasses; ++k)
        d.onehot.push_back(k == c ? 1.0f : 0.0f);
      d.label.push_back(c);
    }
  return d;
}

// Fake quantization of a [in, out] weight matrix, per output channel.
AttrList weightQuantization() {
  return {
      {"num_bits", 8}, {"axis", 1}, {"gradient", Attribute::enumValue("ste")}};
}

// The MLP on a batch, through `b`. Inputs in order: w1, b1, w2, b2, x, then
// (with a loss) the one-hot labels. Returns the logits or the loss.
llvm::Expected<ValueId> buildModel(Builder &b, int64_t batch, bool withLoss) {
  ValueId w1 = b.addInput(DataType::Float32, {kFeatures, kHidden});
  ValueId b1 = b.addInput(DataType::Float32, {kHidden});
  ValueId w2 = b.addInput(DataType::Float32, {kHidden, kClasses});
  ValueId b2 = b.addInput(DataType::Float32, {kClasses});
  ValueId x = b.addInput(DataType::Float32, {batch, kFeatures});

  // One llvm::Error for the whole chain: each step returns early on failure.
  llvm::Error err = llvm::Error::success();
  auto op = [&](OpKind kind, llvm::ArrayRef<ValueId> operands,
                AttrList attrs = {}) -> ValueId {
    if (err)
      return 0;
    auto v = b.create(kind, operands, std::move(attrs));
    if (!v) {
      err = v.takeError();
      return 0;
    }
    return *v;
  };
  ValueId hidden =
      op(OpKind::Add, {op(OpKind::MatMul, {x, op(OpKind::FakeQuantization, {w1},
                                                 weightQuantization())}),
                       b1});
  ValueId activation =
      op(OpKind::FakeQuantization, {op(OpKind::ReLU, {hidden})},
         {{"num_bits", 8},
          {"symmetric", false},
          {"scale", 1.0 / 32},
          {"gradient", Attribute::enumValue("clipped")}});
  ValueId logits =
      op(OpKind::Add,
         {op(OpKind::MatMul, {activation, op(OpKind::FakeQuantization, {w2},
                                             weightQuantization())}),
          b2});
  if (!withLoss) {
    if (err)
      return err;
    return logits;
  }
  ValueId onehot = b.addInput(DataType::Float32, {batch, kClasses});
  ValueId logp = op(OpKind::LogSoftmax, {logits}, {{"axis", 1}});
  ValueId perSample =
      op(OpKind::ReduceSum, {op(OpKind::Multiply, {logp, onehot})},
         {{"axes", std::vector<int64_t>{1}}});
  ValueId loss = op(OpKind::Negate, {op(OpKind::ReduceMean, {perSample})});
  if (err)
    return err;
  return loss;
}

llvm::Expected<Graph> makeGraph(const char *name, int64_t batch,
                                bool withLoss) {
  Graph g(name);
  Builder b(g);
  auto out = buildModel(b, batch, withLoss);
  if (!out)
    return out.takeError();
  b.setOutputs({*out});
  if (auto err = verifyGraph(g))
    return err;
  return g;
}

// Parameters, their gradients' shapes and He initialization.
struct Parameter {
  TensorType type;
  std::vector<float> value, grad;
};

std::vector<Parameter> initParameters(std::mt19937 &rng) {
  auto make = [&](Shape shape, float stddev) {
    Parameter p{TensorType{DataType::Float32, shape}, {}, {}};
    std::normal_distribution<float> dist(0.0f, stddev);
    p.value.resize(numElements(shape));
    for (float &v : p.value)
      v = stddev > 0 ? dist(rng) : 0.0f;
    p.grad.resize(p.value.size());
    return p;
  };
  return {make({kFeatures, kHidden}, std::sqrt(2.0f / kFeatures)),
          make({kHidden}, 0.0f),
          make({kHidden, kClasses}, std::sqrt(2.0f / kHidden)),
          make({kClasses}, 0.0f)};
}

TensorRef ref(const TensorType &type, const float *data) {
  return {type, const_cast<float *>(data)};
}

// The weight grid check: FQ(w) of every output channel c must be q * s_c
// with q an integer of [-128, 127] and s_c the observer's scale of the
// channel (docs/fake-quantization.md: max(eps, max(-lo, hi) / 127.5) in float).
llvm::Error checkOnGrid(const char *name, const std::vector<float> &w,
                        const std::vector<float> &quantized, int64_t rows,
                        int64_t cols) {
  int64_t distinct = 0;
  for (int64_t c = 0; c < cols; ++c) {
    float lo = 0.0f, hi = 0.0f;
    for (int64_t r = 0; r < rows; ++r) {
      lo = std::min(lo, w[r * cols + c]);
      hi = std::max(hi, w[r * cols + c]);
    }
    float s = std::max(1.1920929e-7f, std::max(-lo, hi) / 127.5f);
    std::vector<float> levels;
    for (int64_t r = 0; r < rows; ++r) {
      float y = quantized[r * cols + c];
      float q = std::nearbyint(y / s);
      if (q < -128 || q > 127 || q * s != y)
        return llvm::createStringError(
            "%s[%lld, %lld] = %.9g is not on the grid of step %.9g", name,
            (long long)r, (long long)c, y, s);
      levels.push_back(q);
    }
    std::sort(levels.begin(), levels.end());
    distinct += std::unique(levels.begin(), levels.end()) - levels.begin();
  }
  fmt::print("{}: every weight is q * s on its channel's grid ({} levels "
             "used in {} channels)\n",
             name, distinct, cols);
  return llvm::Error::success();
}

llvm::Error train() {
  std::mt19937 rng(20240607);
  Dataset data = makeSpiral(rng);
  std::vector<Parameter> params = initParameters(rng);

  // The step graph, its gradient graph (autodiff), the whole-data-set
  // predictor and the export of the deployed weights.
  auto step = makeGraph("step", kBatch, /*withLoss=*/true);
  if (!step)
    return step.takeError();
  auto stepGrad = buildGradientGraph(*step);
  if (!stepGrad)
    return stepGrad.takeError();
  auto predict = makeGraph("predict", kSamples, /*withLoss=*/false);
  if (!predict)
    return predict.takeError();
  Graph deploy("deploy");
  {
    Builder b(deploy);
    ValueId w1 = b.addInput(params[0].type), w2 = b.addInput(params[2].type);
    auto q1 = b.create(OpKind::FakeQuantization, {w1}, weightQuantization());
    if (!q1)
      return q1.takeError();
    auto q2 = b.create(OpKind::FakeQuantization, {w2}, weightQuantization());
    if (!q2)
      return q2.takeError();
    b.setOutputs({*q1, *q2});
  }
  fmt::print("The gradient graph built by autodiff:\n{}\n",
             stepGrad->toString());

  auto jit = Jit::create();
  if (!jit)
    return jit.takeError();
  auto forward = (*jit)->compile(*step);
  if (!forward)
    return forward.takeError();
  auto backward = (*jit)->compile(*stepGrad);
  if (!backward)
    return backward.takeError();
  auto predictor = (*jit)->compile(*predict);
  if (!predictor)
    return predictor.takeError();
  auto exporter = (*jit)->compile(deploy);
  if (!exporter)
    return exporter.takeError();

  // Buffers of one minibatch, reused every step.
  TensorType xType{DataType::Float32, {kBatch, kFeatures}};
  TensorType yType{DataType::Float32, {kBatch, kClasses}};
  TensorType scalar{DataType::Float32, {}};
  std::vector<float> bx(kBatch * kFeatures), by(kBatch * kClasses);
  float loss = 0.0f, dloss = 1.0f;
  std::vector<float> dx(bx.size()), dy(by.size());
  std::vector<TensorRef> inputs = {ref(params[0].type, params[0].value.data()),
                                   ref(params[1].type, params[1].value.data()),
                                   ref(params[2].type, params[2].value.data()),
                                   ref(params[3].type, params[3].value.data()),
                                   ref(xType, bx.data()),
                                   ref(yType, by.data())};
  std::vector<TensorRef> gradInputs = inputs;
  gradInputs.push_back(ref(scalar, &dloss));
  std::vector<TensorRef> gradOutputs = {
      ref(params[0].type, params[0].grad.data()),
      ref(params[1].type, params[1].grad.data()),
      ref(params[2].type, params[2].grad.data()),
      ref(params[3].type, params[3].grad.data()),
      ref(xType, dx.data()),
      ref(yType, dy.data())};

  std::vector<int> order(kSamples);
  std::iota(order.begin(), order.end(), 0);
  float firstLoss = 0.0f, lastLoss = 0.0f;
  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double sum = 0;
    for (int64_t start = 0; start < kSamples; start += kBatch) {
      for (int64_t i = 0; i < kBatch; ++i) {
        int s = order[start + i];
        std::copy_n(&data.x[s * kFeatures], kFeatures, &bx[i * kFeatures]);
        std::copy_n(&data.onehot[s * kClasses], kClasses, &by[i * kClasses]);
      }
      if (auto err = (*forward)->run(inputs, {ref(scalar, &loss)}))
        return err;
      if (auto err = (*backward)->run(gradInputs, gradOutputs))
        return err;
      for (Parameter &p : params)
        for (size_t i = 0; i < p.value.size(); ++i)
          p.value[i] -= kLearningRate * p.grad[i];
      sum += loss;
    }
    float epochLoss = float(sum / (kSamples / kBatch));
    if (epoch == 1)
      firstLoss = epochLoss;
    lastLoss = epochLoss;
    fmt::print("epoch {:3}  loss {:.4f}\n", epoch, epochLoss);
  }

  std::vector<float> logits(kSamples * kClasses);
  if (auto err = (*predictor)
                     ->run({ref(params[0].type, params[0].value.data()),
                            ref(params[1].type, params[1].value.data()),
                            ref(params[2].type, params[2].value.data()),
                            ref(params[3].type, params[3].value.data()),
                            ref({DataType::Float32, {kSamples, kFeatures}},
                                data.x.data())},
                           {ref({DataType::Float32, {kSamples, kClasses}},
                                logits.data())}))
    return err;
  int correct = 0;
  for (int64_t s = 0; s < kSamples; ++s) {
    const float *row = &logits[s * kClasses];
    correct += std::max_element(row, row + kClasses) - row == data.label[s];
  }
  double accuracy = double(correct) / kSamples;
  fmt::print("final accuracy {:.4f} ({} of {}; chance {:.4f})\n", accuracy,
             correct, kSamples, 1.0 / kClasses);

  std::vector<float> q1(params[0].value.size()), q2(params[2].value.size());
  if (auto err = (*exporter)->run(
          {ref(params[0].type, params[0].value.data()),
           ref(params[2].type, params[2].value.data())},
          {ref(params[0].type, q1.data()), ref(params[2].type, q2.data())}))
    return err;
  if (auto err = checkOnGrid("FQ(w1)", params[0].value, q1, kFeatures, kHidden))
    return err;
  if (auto err = checkOnGrid("FQ(w2)", params[2].value, q2, kHidden, kClasses))
    return err;

  if (!(lastLoss < 0.5f * firstLoss))
    return llvm::createStringError("the loss did not fall: %g -> %g", firstLoss,
                                   lastLoss);
  if (accuracy < 0.85)
    return llvm::createStringError(
        "accuracy %.4f is not far above chance (%.4f)", accuracy,
        1.0 / kClasses);
  return llvm::Error::success();
}

} // namespace

int main() {
  if (auto err = train()) {
    fmt::print(stderr, "error: {}\n", llvm::toString(std::move(err)));
    return 1;
  }
  return 0;
}
