//===- Interpreter.cpp - Walking a graph op by op -------------------------===//
//
// Evaluates the ops in order, keeping every value's tensor. Before an op
// runs, its operand types are checked against the op rules and the result
// types they infer must equal the graph's annotations, so the evaluators
// only ever see operands the rules admit.
//
//===----------------------------------------------------------------------===//
#include "qjit/Interpreter/Interpreter.h"
#include "Evaluate.h"
#include "Gradients.h"
#include "qjit/IR/OpRules.h"
#include "qjit/Support/Error.h"
#include <unordered_map>
#include "Support/MakeError.h"

namespace qjit {

namespace {

using interp::Results;

// A fused op means its body, op by op.
llvm::Expected<Results> evaluateFused(const Operation &op,
                                      llvm::ArrayRef<const Tensor *> operands) {
  std::vector<Tensor> inputs;
  for (const Tensor *t : operands)
    inputs.push_back(*t);
  auto outputs = interpret(*op.getBody(), inputs);
  if (!outputs)
    return outputs.takeError();
  return Results(std::make_move_iterator(outputs->begin()),
                 std::make_move_iterator(outputs->end()));
}

llvm::Expected<Results> evaluateOp(const Operation &op,
                                   llvm::ArrayRef<const Tensor *> operands,
                                   llvm::ArrayRef<TensorType> resultTypes) {
  switch (op.getKind()) {
  case OpKind::Add:
  case OpKind::Subtract:
  case OpKind::Multiply:
  case OpKind::Divide:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Power:
    return interp::evaluateBinary(op, operands, resultTypes);
  case OpKind::Negate:
  case OpKind::Abs:
  case OpKind::ReLU:
  case OpKind::Square:
  case OpKind::Clamp:
    return interp::evaluateUnary(op, operands, resultTypes);
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::LeakyReLU:
  case OpKind::GELU:
    return interp::evaluateMath(op, operands, resultTypes);
  case OpKind::MatMul:
    return interp::evaluateMatMul(op, operands, resultTypes);
  case OpKind::Transpose:
    return interp::evaluateTranspose(op, operands, resultTypes);
  case OpKind::Conv2D:
    return interp::evaluateConv2D(op, operands, resultTypes);
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    return interp::evaluatePool2D(op, operands, resultTypes);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return interp::evaluateReduce(op, operands, resultTypes);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return interp::evaluateSoftmax(op, operands, resultTypes);
  case OpKind::Reshape:
  case OpKind::Broadcast:
  case OpKind::Concat:
  case OpKind::Slice:
    return interp::evaluateShapeOp(op, operands, resultTypes);
  case OpKind::Constant:
    return interp::evaluateConstant(op, resultTypes);
  case OpKind::FakeQuantization:
  case OpKind::GradFakeQuantization:
    return interp::evaluateFakeQuantization(op, operands, resultTypes);
  case OpKind::Quantize:
    return interp::evaluateQuantize(op, operands, resultTypes);
  case OpKind::Dequantize:
    return interp::evaluateDequantize(op, operands, resultTypes);
  case OpKind::GradReLU:
  case OpKind::GradAbs:
  case OpKind::GradLeakyReLU:
  case OpKind::GradGELU:
  case OpKind::GradClamp:
  case OpKind::GradMaximum:
  case OpKind::GradMinimum:
  case OpKind::GradConv2DInput:
  case OpKind::GradConv2DWeight:
  case OpKind::GradMaxPool2D:
  case OpKind::GradAvgPool2D:
  case OpKind::GradReduceMax:
  case OpKind::GradReduceMin:
  case OpKind::GradSlice:
    return interp::evaluateGradient(op, operands, resultTypes);
  case OpKind::FusedElementwise:
    return evaluateFused(op, operands);
  }
  return makeError("'{}' has no evaluation", op.getName().str());
}

class GraphInterpreter {
public:
  explicit GraphInterpreter(const Graph &graph) : graph(graph) {}

  llvm::Expected<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs) {
    if (auto err = bindInputs(inputs))
      return err;
    for (const Operation &op : graph.getOps())
      if (auto err = runOp(op))
        return err;
    std::vector<Tensor> outputs;
    for (ValueId id : graph.getOutputs()) {
      auto it = values.find(id);
      if (it == values.end())
        return makeError("graph @{} returns t{}, which is not defined",
                         graph.getName().str(), id);
      outputs.push_back(it->second); // a copy: a value may be returned twice
    }
    return outputs;
  }

private:
  llvm::Error bindInputs(llvm::ArrayRef<Tensor> inputs) {
    llvm::ArrayRef<ValueId> ids = graph.getInputs();
    if (inputs.size() != ids.size())
      return makeError("graph @{} takes {} input{}, got {}",
                       graph.getName().str(), ids.size(),
                       ids.size() == 1 ? "" : "s", inputs.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!graph.hasValue(ids[i]))
        return makeError("input {} (t{}) of graph @{} has no type", i, ids[i],
                         graph.getName().str());
      const TensorType &expected = graph.getType(ids[i]);
      if (inputs[i].getType() != expected)
        return makeError("input {} (t{}) of graph @{} must be {}, got {}", i,
                         ids[i], graph.getName().str(), expected.toString(),
                         inputs[i].getType().toString());
      if (!inputs[i].data())
        return makeError("input {} (t{}) of graph @{} has no buffer", i, ids[i],
                         graph.getName().str());
      if (!values.try_emplace(ids[i], inputs[i]).second)
        return makeError("graph @{} lists t{} twice as an input",
                         graph.getName().str(), ids[i]);
    }
    return llvm::Error::success();
  }

  llvm::Error runOp(const Operation &op) {
    auto fail = [&](const std::string &message) {
      return makeError("'{}' op ({}): {}", op.getName().str(),
                       graph.opToString(op), message);
    };
    llvm::SmallVector<const Tensor *, 4> operands;
    llvm::SmallVector<TensorType, 4> operandTypes;
    for (ValueId id : op.getOperands()) {
      auto it = values.find(id);
      if (it == values.end())
        return fail(fmt::format("t{} is used before it is defined", id));
      operands.push_back(&it->second);
      operandTypes.push_back(it->second.getType());
    }
    llvm::SmallVector<TensorType, 1> declared;
    for (ValueId id : op.getResults()) {
      if (!graph.hasValue(id))
        return fail(fmt::format("result t{} has no type", id));
      declared.push_back(graph.getType(id));
    }
    auto inferred = inferResultTypes(op, operandTypes, declared);
    if (!inferred)
      return fail(llvm::toString(inferred.takeError()));
    if (llvm::ArrayRef<TensorType>(*inferred) !=
        llvm::ArrayRef<TensorType>(declared))
      return fail("result types differ from the types the op produces");

    auto results = evaluateOp(op, operands, declared);
    if (!results)
      return fail(llvm::toString(results.takeError()));
    if (results->size() != op.getNumResults())
      return fail(fmt::format("evaluation gave {} results for {}",
                              results->size(), op.getNumResults()));
    for (size_t i = 0; i < results->size(); ++i)
      if (!values.try_emplace(op.getResult(i), std::move((*results)[i])).second)
        return fail(fmt::format("t{} is defined twice", op.getResult(i)));
    return llvm::Error::success();
  }

  const Graph &graph;
  // Node-based, so pointers to operand tensors stay valid as values are
  // added.
  std::unordered_map<ValueId, Tensor> values;
};

} // namespace

llvm::Expected<std::vector<Tensor>> interpret(const Graph &graph,
                                              llvm::ArrayRef<Tensor> inputs) {
  return GraphInterpreter(graph).run(inputs);
}

} // namespace qjit
