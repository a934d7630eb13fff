//===- FoldConstants.cpp - Evaluate ops on constants at compile time ------===//
//
// An op all of whose operands are Constants is evaluated by the interpreter
// (the reference evaluator, qjit/Interpreter/Interpreter.h) and replaced by
// Constants holding its results: `values=v` when every element is the same
// finite number (and the result is small), else `data` bytes. One walk in
// program order folds whole chains (Reshape -> Transpose -> Slice -> Concat
// of ONNX shape arithmetic, a weight's Transpose, ...): a folded result is a
// Constant for the ops after it. Constants that only the folded ops used are
// removed; other dead code is left to dce.
//
// Not folded:
// * quantization ops (FakeQuantization, Quantize, Dequantize), never:
//   convert-to-integers learns a weight's scale and zero point from the
//   FakeQuantization of a Constant feeding a MatMul or Conv2D and must see
//   it; qdq-to-fake-quant and fold-batch-norm likewise recognise
//   quantization ops by kind. Once those passes have run,
//   fold-quantized-constants (the same pass with foldQuantization) folds
//   them too: a float layer's fake-quantized weights are then computed once,
//   at compile time, rather than on every run.
// * ops over the limits of FoldConstantsOptions (result bytes, operand
//   bytes, estimated work; large Broadcasts), with a remark.
// * ops the interpreter fails on (with a remark: the same error would come
//   at run time).
//
// A folded value is the interpreter's. The JIT computes the same bits for
// every op except those where it may legitimately differ (README, "How
// results are checked"): libmvec's vector math (Exp, Log, Tanh, ...: within
// 4 ulp) and reordered float sums (MatMul, Conv2D, reductions, Softmax).
// There the folded graph gives the interpreter's result, which the unfolded
// graph's JIT run approximates.
//
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/Transforms/FoldConstants.h"
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include <cmath>
#include <fmt/format.h>

namespace qjit {
namespace {

// Splats of at most this many bytes are written as `values=v`.
constexpr uint64_t kMaxSplatValuesBytes = uint64_t(64) << 10;

// A rough count of the interpreter's inner steps for `op`.
uint64_t estimatedWork(const Graph &graph, const Operation &op) {
  uint64_t results = 0, operands = 0;
  for (ValueId v : op.getResults())
    results += graph.getType(v).numElements();
  for (ValueId v : op.getOperands())
    operands += graph.getType(v).numElements();
  auto type = [&](unsigned i) -> const TensorType & {
    return graph.getType(op.getOperand(i));
  };
  switch (op.getKind()) {
  case OpKind::MatMul:
  case OpKind::QLinearMatMul: {
    const TensorType &x = type(0);
    uint64_t k = x.rank() ? x.shape.back() : 1;
    return results * std::max<uint64_t>(k, 1);
  }
  case OpKind::Conv2D:
  case OpKind::QLinearConv2D: {
    const TensorType &w = type(1);
    uint64_t perOutput =
        w.rank() && w.shape[0] ? w.numElements() / w.shape[0] : 1;
    return results * std::max<uint64_t>(perOutput, 1);
  }
  case OpKind::GradConv2DInput:
  case OpKind::GradConv2DWeight:
    // An upper bound: every pair of elements of the two operands.
    return type(0).numElements() * std::max<int64_t>(type(1).numElements(), 1);
  case OpKind::FusedElementwise:
    return results * (op.getBody() ? op.getBody()->getOps().size() : 1);
  default:
    return results + operands;
  }
}

// The Constant holding `tensor` with result id `id`.
llvm::Expected<Operation> constantOf(const Tensor &tensor, ValueId id,
                                     llvm::SMLoc loc) {
  size_t size = dataTypeSize(tensor.elementType());
  const char *bytes = static_cast<const char *>(tensor.data());
  int64_t n = tensor.numElements();
  bool splat = n > 0 && tensor.sizeInBytes() <= kMaxSplatValuesBytes;
  for (int64_t i = 1; splat && i < n; ++i)
    splat = std::memcmp(bytes, bytes + i * size, size) == 0;
  if (splat) {
    std::optional<Attribute> value;
    auto read = [&](auto tag) {
      using T = decltype(tag);
      T v;
      std::memcpy(&v, bytes, sizeof(T));
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isfinite(v))
          value = Attribute(static_cast<double>(v));
      } else {
        value = Attribute(static_cast<int64_t>(v));
      }
    };
    switch (tensor.elementType()) {
#define QJIT_SPLAT_CASE(Name, CType, Descr)                                    \
  case DataType::Name:                                                         \
    read(CType{});                                                             \
    break;
      QJIT_DTYPES(QJIT_SPLAT_CASE)
#undef QJIT_SPLAT_CASE
    }
    if (value)
      return Operation(OpKind::Constant, {}, {id}, {{"values", *value}}, loc);
  }
  auto data = DenseData::fromTensor(tensor);
  if (!data)
    return data.takeError();
  return Operation(OpKind::Constant, {}, {id},
                   {{"data", Attribute(std::move(*data))}}, loc);
}

class FoldConstants : public GraphPass {
public:
  explicit FoldConstants(FoldConstantsOptions options) : options(options) {}
  llvm::StringRef getName() const override {
    return options.foldQuantization ? "fold-quantized-constants"
                                    : "fold-constants";
  }

  llvm::Error runOnGraph(Graph &graph) override {
    std::vector<Operation> old = std::move(graph.getOps());
    std::vector<Operation> &ops = graph.getOps();
    ops.clear();
    ops.reserve(old.size());
    // Value -> index in `ops` of the Constant defining it.
    llvm::DenseMap<ValueId, size_t> constants;
    std::vector<ValueId> candidates; // operands of folded ops
    bool changed = false;
    for (Operation &op : old) {
      if (op.getKind() == OpKind::Constant) {
        constants[op.getResult()] = ops.size();
        ops.push_back(std::move(op));
        continue;
      }
      bool allConstant =
          op.getNumOperands() > 0 &&
          llvm::all_of(op.getOperands(),
                       [&](ValueId v) { return constants.count(v); });
      if (!allConstant || !worthFolding(graph, op)) {
        ops.push_back(std::move(op));
        continue;
      }
      auto folded = evaluate(graph, ops, constants, op);
      if (!folded) {
        remark(op.getLoc(),
               fmt::format("{} t{} is not folded: {}", op.getName().str(),
                           op.getResult(), llvm::toString(folded.takeError())));
        ops.push_back(std::move(op));
        continue;
      }
      candidates.insert(candidates.end(), op.getOperands().begin(),
                        op.getOperands().end());
      for (Operation &c : *folded) {
        constants[c.getResult()] = ops.size();
        ops.push_back(std::move(c));
      }
      changed = true;
    }
    if (changed)
      rewrite::eraseOps(graph, {}, candidates);
    return llvm::Error::success();
  }

private:
  // The limits; a remark when an op is over one.
  bool worthFolding(const Graph &graph, const Operation &op) const {
    switch (getOpInfo(op.getKind()).category) {
    case OpCategory::Quantization: // see the file comment
      if (!options.foldQuantization)
        return false;
      break;
    case OpCategory::Value:
      return false;
    default:
      break;
    }
    uint64_t resultBytes = 0, operandBytes = 0;
    for (ValueId v : op.getResults())
      resultBytes += graph.getType(v).sizeInBytes();
    for (ValueId v : op.getOperands())
      operandBytes += graph.getType(v).sizeInBytes();
    auto over = [&](const char *what, uint64_t value, uint64_t limit) {
      remark(op.getLoc(),
             fmt::format("{} t{} is not folded: {} {} over the limit of {}",
                         op.getName().str(), op.getResult(), what, value,
                         limit));
      return false;
    };
    if (op.getKind() == OpKind::Broadcast &&
        resultBytes > options.maxBroadcastBytes)
      return over("result bytes", resultBytes, options.maxBroadcastBytes);
    if (resultBytes > options.maxResultBytes)
      return over("result bytes", resultBytes, options.maxResultBytes);
    if (operandBytes > options.maxOperandBytes)
      return over("operand bytes", operandBytes, options.maxOperandBytes);
    if (uint64_t work = estimatedWork(graph, op); work > options.maxWork)
      return over("estimated steps", work, options.maxWork);
    return true;
  }

  // Runs `op` on its constant operands in a graph of its own; the Constants
  // replacing its results.
  llvm::Expected<std::vector<Operation>>
  evaluate(const Graph &graph, const std::vector<Operation> &ops,
           const llvm::DenseMap<ValueId, size_t> &constants,
           const Operation &op) const {
    Graph g("fold");
    llvm::DenseSet<ValueId> seen;
    for (ValueId v : op.getOperands()) {
      if (!seen.insert(v).second)
        continue;
      g.defineValue(v, graph.getType(v));
      g.addOp(ops[constants.find(v)->second]);
    }
    for (ValueId v : op.getResults())
      g.defineValue(v, graph.getType(v));
    g.addOp(op);
    g.setOutputs(op.getResults());
    MemoryLimits limits;
    limits.tensorBytes =
        std::max(options.maxResultBytes, options.maxOperandBytes);
    limits.runBytes = 2 * (options.maxResultBytes + options.maxOperandBytes);
    auto results = interpret(g, {}, limits);
    if (!results)
      return results.takeError();
    std::vector<Operation> folded;
    for (size_t k = 0; k < results->size(); ++k) {
      auto c = constantOf((*results)[k], op.getResult(k), op.getLoc());
      if (!c)
        return c.takeError();
      folded.push_back(std::move(*c));
    }
    return folded;
  }

  FoldConstantsOptions options;
};

} // namespace

std::unique_ptr<Pass> createFoldConstantsPass(FoldConstantsOptions options) {
  return std::make_unique<FoldConstants>(options);
}

std::unique_ptr<Pass> createFoldConstantsPass() {
  return createFoldConstantsPass(FoldConstantsOptions());
}

std::unique_ptr<Pass> createFoldQuantizedConstantsPass() {
  FoldConstantsOptions options;
  options.foldQuantization = true;
  return createFoldConstantsPass(options);
}

} // namespace qjit
