//===- fake_quant_api.cpp - Building, compiling and running a graph -------===//
//
// The C++ API end to end: build a graph with shape inference, verify it,
// compile it once with the JIT, run it on our own buffers, and check the
// result against the reference interpreter.
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Builder.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/JIT/Jit.h"
#include <fmt/format.h>
#include <vector>

using namespace qjit;

static llvm::Error runExample() {
  // y = FakeQuant(ReLU(x + bias)), 8-bit symmetric, scale 0.05.
  Graph graph("relu_fq");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {2, 5});
  ValueId bias = b.addInput(DataType::Float32, {5});
  auto sum = b.create(OpKind::Add, {x, bias});
  if (!sum)
    return sum.takeError();
  auto relu = b.create(OpKind::ReLU, {*sum});
  if (!relu)
    return relu.takeError();
  auto y = b.create(OpKind::FakeQuantization, {*relu},
                    {{"num_bits", 8}, {"scale", 0.05}});
  if (!y)
    return y.takeError();
  b.setOutputs({*y});
  if (auto err = verifyGraph(graph))
    return err;
  fmt::print("{}", graph.toString());

  auto jit = Jit::create();
  if (!jit)
    return jit.takeError();
  auto compiled = (*jit)->compile(graph);
  if (!compiled)
    return compiled.takeError();

  std::vector<float> xs = {-1.0f, 0.12f, 0.125f, 0.175f, 3.0f,
                           2.5f,  -0.3f, 7.0f,   0.024f, 0.026f};
  std::vector<float> biases = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  std::vector<float> ys(10);
  // Caller-owned buffers: run() checks their count, types and shapes.
  if (auto err = (*compiled)->run(
          {TensorRef{graph.getType(x), xs.data()},
           TensorRef{graph.getType(bias), biases.data()}},
          {TensorRef{graph.getType(*y), ys.data()}}))
    return err;

  auto expected = interpret(graph, {Tensor({2, 5}, llvm::ArrayRef(xs)),
                                    Tensor({5}, llvm::ArrayRef(biases))});
  if (!expected)
    return expected.takeError();
  llvm::ArrayRef<float> ref = (*expected)[0].values<float>();
  for (size_t i = 0; i < ys.size(); ++i) {
    fmt::print("x = {:>7} -> y = {:>7} (interpreter {})\n", xs[i], ys[i],
               ref[i]);
    if (std::memcmp(&ys[i], &ref[i], sizeof(float)) != 0)
      return llvm::createStringError("JIT and interpreter disagree at %zu", i);
  }
  return llvm::Error::success();
}

int main() {
  if (auto err = runExample()) {
    fmt::print(stderr, "error: {}\n", llvm::toString(std::move(err)));
    return 1;
  }
  return 0;
}
