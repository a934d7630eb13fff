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
#include "qjit/IR/OpVisitor.h"
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

// Evaluates one op on its operand tensors, by kind.
class OpEvaluator : public OpVisitor<OpEvaluator, llvm::Expected<Results>> {
public:
  OpEvaluator(llvm::ArrayRef<const Tensor *> operands,
              llvm::ArrayRef<TensorType> resultTypes)
      : in(operands), types(resultTypes) {}

  llvm::Expected<Results> visitElementwiseBinary(const Operation &op) {
    return interp::evaluateBinary(op, in, types);
  }
  // Float-only functions and their gradients live in Math.cpp, the
  // integer-capable ones in Elementwise.cpp.
  llvm::Expected<Results> visitElementwiseUnary(const Operation &op) {
    if (hasTrait(op.getKind(), OpTrait::FloatOnly))
      return interp::evaluateMath(op, in, types);
    return interp::evaluateUnary(op, in, types);
  }
  llvm::Expected<Results> visitMatMul(const Operation &op) {
    return interp::evaluateMatMul(op, in, types);
  }
  llvm::Expected<Results> visitTranspose(const Operation &op) {
    return interp::evaluateTranspose(op, in, types);
  }
  llvm::Expected<Results> visitConv2D(const Operation &op) {
    return interp::evaluateConv2D(op, in, types);
  }
  llvm::Expected<Results> visitQuantizedLinearAlgebra(const Operation &op) {
    return interp::evaluateQLinear(op, in, types);
  }
  llvm::Expected<Results> visitPooling(const Operation &op) {
    return interp::evaluatePool2D(op, in, types);
  }
  llvm::Expected<Results> visitReduction(const Operation &op) {
    return interp::evaluateReduce(op, in, types);
  }
  llvm::Expected<Results> visitNormalization(const Operation &op) {
    return interp::evaluateSoftmax(op, in, types);
  }
  llvm::Expected<Results> visitShape(const Operation &op) {
    return interp::evaluateShapeOp(op, in, types);
  }
  llvm::Expected<Results> visitConstant(const Operation &op) {
    return interp::evaluateConstant(op, types);
  }
  llvm::Expected<Results> visitFakeQuantization(const Operation &op) {
    return interp::evaluateFakeQuantization(op, in, types);
  }
  llvm::Expected<Results> visitGradFakeQuantization(const Operation &op) {
    return interp::evaluateFakeQuantization(op, in, types);
  }
  llvm::Expected<Results> visitQuantize(const Operation &op) {
    return interp::evaluateQuantize(op, in, types);
  }
  llvm::Expected<Results> visitDequantize(const Operation &op) {
    return interp::evaluateDequantize(op, in, types);
  }
  llvm::Expected<Results> visitGradient(const Operation &op) {
    std::optional<OpKind> forward = getOpInfo(op.getKind()).forward;
    if (forward && hasTrait(*forward, OpTrait::FloatOnly))
      return interp::evaluateMath(op, in, types);
    return interp::evaluateGradient(op, in, types);
  }
  llvm::Expected<Results> visitFusedElementwise(const Operation &op) {
    return evaluateFused(op, in);
  }

private:
  llvm::ArrayRef<const Tensor *> in;
  llvm::ArrayRef<TensorType> types;
};

class GraphInterpreter {
public:
  GraphInterpreter(const Graph &graph, const MemoryLimits &limits)
      : graph(graph), limits(limits) {}

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
      used += inputs[i].sizeInBytes();
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

    for (size_t i = 0; i < declared.size(); ++i)
      if (auto err = limits.reserve(declared[i],
                                    fmt::format("result t{}", op.getResult(i)),
                                    used))
        return fail(llvm::toString(std::move(err)));
    auto results = evaluate(op, operands, declared);
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

  // The evaluators allocate with Tensor's throwing constructor; memory that
  // cannot be had after the limits were checked is an error, not an abort.
  static llvm::Expected<Results> evaluate(const Operation &op,
                                          llvm::ArrayRef<const Tensor *> in,
                                          llvm::ArrayRef<TensorType> types) {
    try {
      return OpEvaluator(in, types).visit(op);
    } catch (const std::bad_alloc &) {
      return makeError("out of memory");
    }
  }

  const Graph &graph;
  const MemoryLimits &limits;
  uint64_t used = 0; // bytes of the inputs and the values computed so far
  // Node-based, so pointers to operand tensors stay valid as values are
  // added.
  std::unordered_map<ValueId, Tensor> values;
};

} // namespace

llvm::Expected<std::vector<Tensor>> interpret(const Graph &graph,
                                              llvm::ArrayRef<Tensor> inputs,
                                              const MemoryLimits &limits) {
  return GraphInterpreter(graph, limits).run(inputs);
}

} // namespace qjit
