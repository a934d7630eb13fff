//===- consumer.cpp - qjit used from an installed package -----------------===//
//
// Parses a graph from text, compiles it with the JIT, runs it and checks every
// output bit for bit against the reference interpreter. Exits 1 on any error
// or mismatch.
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Parser.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/JIT/Jit.h"
#include "llvm/Support/raw_ostream.h"
#include <vector>

using namespace qjit;

// A quantization-aware activation block (x * gamma + beta, ReLU, per-tensor
// fake quantization) and a per-channel fake quantization of a weight.
static const char *const kGraphText = R"(
graph @qat_block(t0: Float32 [4, 8], t1: Float32 [8], t2: Float32 [8], t3: Float32 [3, 8]) {
  t4 = Multiply(t0, t1) : Float32 [4, 8]
  t5 = Add(t4, t2) : Float32 [4, 8]
  t6 = ReLU(t5) : Float32 [4, 8]
  t7 = FakeQuantization(t6, symmetric=false, scale=0.05, zero_point=0) : Float32 [4, 8]
  t8 = FakeQuantization(t3, scale=[0.02, 0.03, 0.05], zero_point=[0, 0, 0], axis=0) : Float32 [3, 8]
  return t7, t8
}
)";

// Inputs with negative, tie-breaking and out-of-range values, the same on
// every run.
static std::vector<Tensor> makeInputs(const Graph &graph) {
  std::vector<Tensor> inputs;
  for (ValueId id : graph.getInputs()) {
    Tensor t(graph.getType(id));
    llvm::MutableArrayRef<float> values = t.values<float>();
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(static_cast<int>(i * 37 % 23) - 9) * 0.125f;
    inputs.push_back(std::move(t));
  }
  return inputs;
}

static llvm::Error runConsumer() {
  llvm::Expected<Module> module = parseAndVerify(kGraphText, "qat_block");
  if (!module)
    return module.takeError();
  const Graph &graph = module->getGraphs().front();

  llvm::Expected<std::unique_ptr<Jit>> jit = Jit::create();
  if (!jit)
    return jit.takeError();
  auto compiled = (*jit)->compile(graph);
  if (!compiled)
    return compiled.takeError();

  std::vector<Tensor> inputs = makeInputs(graph);
  auto jitOutputs = (*compiled)->run(inputs);
  if (!jitOutputs)
    return jitOutputs.takeError();
  auto expected = interpret(graph, inputs);
  if (!expected)
    return expected.takeError();

  for (size_t i = 0; i < expected->size(); ++i) {
    if (!(*jitOutputs)[i].bitwiseEqual((*expected)[i]))
      return llvm::createStringError(
          "output %zu: the JIT and the interpreter disagree", i);
    llvm::outs() << "output " << i << ": " << (*expected)[i].numElements()
                 << " values, JIT == interpreter\n";
  }
  return llvm::Error::success();
}

int main() {
  if (llvm::Error err = runConsumer()) {
    llvm::outs().flush(); // what passed, then the error
    llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
