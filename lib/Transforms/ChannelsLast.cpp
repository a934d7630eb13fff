//===- ChannelsLast.cpp - NHWC activations between integer convolutions ---===//
//
// The integer convolution kernels read their input and write their output
// NHWC (channels_last): a patch's taps are runs of channels and an output
// row is a run of channels. Given NCHW tensors they must transpose x and
// write y with strided byte stores. This pass runs every QLinearConv2D
// channels-last and keeps the activations between them NHWC:
//
//  1. y = QLinearConv2D(x) becomes
//       y = Transpose(QLinearConv2D(Transpose(x, to NHWC), channels_last),
//                     to NCHW);
//  2. Transposes sink through per-element ops (Quantize, Dequantize,
//     per-tensor FakeQuantization, elementwise ops) whose tensor operands
//     are all transposed alike: op(T(a), T(b)) = T(op(a, b));
//  3. a Transpose meeting its inverse cancels: T'(T(a)) = a;
//  4. a Transpose left after a one-operand per-element op whose only user
//     it is, and whose operand is no wider than its result (Dequantize,
//     ReLU), moves back above it, repeatedly: so that it moves bytes, not
//     floats, and meets an inverse Transpose where there is one;
//  5. Transposes nothing uses are erased.
//
// The results are the same bytes: only the layout between ops changes.
// Ops that need NCHW (pooling, reductions, reshapes, float convolutions)
// see NCHW tensors through the Transposes left in front of them.
//
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/IR/Fusion.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Transforms/Passes.h"

namespace qjit {
namespace {

using Perm = llvm::SmallVector<int64_t, 4>;

Perm inversePerm(llvm::ArrayRef<int64_t> perm) {
  Perm inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  return inverse;
}

// The permutation of a Transpose op.
Perm permOf(const Graph &graph, const Operation &op) {
  return llvm::cantFail(
      getTransposePerm(op, graph.getType(op.getOperand(0)).rank()));
}

Operation makeTranspose(ValueId from, ValueId to, llvm::ArrayRef<int64_t> perm,
                        llvm::SMLoc loc) {
  return Operation(OpKind::Transpose, {from}, {to},
                   {{"perm", Attribute(std::vector<int64_t>(perm.begin(),
                                                            perm.end()))}},
                   loc);
}

// Whether `op` computes each element of its one result from the elements
// at the same index of its operands, whatever the layout: the operands'
// positions it reads as elements (the others are scalar parameters).
std::optional<llvm::SmallVector<unsigned, 2>>
perElementOperands(const Graph &graph, const Operation &op) {
  if (op.getNumResults() != 1)
    return std::nullopt;
  OpKind kind = op.getKind();
  bool perElement =
      (kind == OpKind::Quantize || kind == OpKind::Dequantize)
          ? !op.hasAttr("axis")
          : isFusableElementwise(graph, op) &&
                !(FakeQuantizationOp::classof(op) &&
                  FakeQuantizationOp(op).isGradient());
  if (!perElement)
    return std::nullopt;
  llvm::SmallVector<unsigned, 2> parameters = parameterOperands(op);
  llvm::SmallVector<unsigned, 2> elements;
  for (unsigned i = 0; i < op.getNumOperands(); ++i)
    if (!llvm::is_contained(parameters, i))
      elements.push_back(i);
  return elements;
}

class ChannelsLast : public GraphPass {
public:
  llvm::StringRef getName() const override { return "channels-last"; }

  llvm::Error runOnGraph(Graph &graph) override {
    if (!llvm::any_of(graph.getOps(), isNchwConvolution))
      return llvm::Error::success();
    convertConvolutions(graph);
    sinkTransposes(graph);
    cancelInverses(graph);
    eraseUnusedTransposes(graph); // so that single uses are seen as such
    while (hoistTransposes(graph)) {
      cancelInverses(graph);
      eraseUnusedTransposes(graph);
    }
    return llvm::Error::success();
  }

private:
  static bool isNchwConvolution(const Operation &op) {
    return op.getKind() == OpKind::QLinearConv2D &&
           !llvm::cantFail(getConv2DParams(op)).channelsLast;
  }

  // Step 1.
  static void convertConvolutions(Graph &graph) {
    std::vector<Operation> ops;
    llvm::DenseMap<ValueId, ValueId> nhwcOf; // one Transpose per input
    for (Operation &op : graph.getOps()) {
      if (!isNchwConvolution(op)) {
        ops.push_back(std::move(op));
        continue;
      }
      // Copies: newValue may move the graph's types.
      TensorType x = graph.getType(op.getOperand(0));
      TensorType y = graph.getType(op.getResult());
      auto [it, added] = nhwcOf.try_emplace(op.getOperand(0));
      if (added) {
        it->second = graph.newValue(
            {x.elementType, permuteShape(x.shape, kNchwToNhwc)});
        ops.push_back(makeTranspose(op.getOperand(0), it->second,
                                    kNchwToNhwc, op.getLoc()));
      }
      ValueId xNhwc = it->second;
      ValueId yNhwc = graph.newValue(
          {y.elementType, permuteShape(y.shape, kNchwToNhwc)});
      llvm::SmallVector<ValueId, 4> operands(op.getOperands());
      operands[0] = xNhwc;
      Operation conv(OpKind::QLinearConv2D, operands, {yNhwc}, op.getAttrs(),
                     op.getLoc());
      conv.setAttr("channels_last", Attribute(true));
      ValueId result = op.getResult();
      ops.push_back(std::move(conv));
      ops.push_back(makeTranspose(yNhwc, result, kNhwcToNchw, op.getLoc()));
    }
    graph.getOps() = std::move(ops);
  }

  // Step 2: one walk in order, so that an op sunk through makes the
  // Transpose its users see.
  static void sinkTransposes(Graph &graph) {
    std::vector<Operation> ops;
    llvm::DenseMap<ValueId, size_t> definer; // into `ops`
    auto transposeOf = [&](ValueId v) -> const Operation * {
      auto it = definer.find(v);
      if (it == definer.end() || ops[it->second].getKind() != OpKind::Transpose)
        return nullptr;
      return &ops[it->second];
    };
    for (Operation &op : graph.getOps()) {
      std::optional<Perm> perm = sinkablePerm(graph, op, transposeOf);
      if (!perm) {
        for (ValueId v : op.getResults())
          definer[v] = ops.size();
        ops.push_back(std::move(op));
        continue;
      }
      TensorType y = graph.getType(op.getResult());
      ValueId inner = graph.newValue(
          {y.elementType, permuteShape(y.shape, inversePerm(*perm))});
      llvm::SmallVector<ValueId, 4> operands(op.getOperands());
      // (The optional must outlive the loop over its vector.)
      auto elements = perElementOperands(graph, op);
      for (unsigned i : *elements)
        if (graph.getType(operands[i]).rank() != 0)
          operands[i] = transposeOf(operands[i])->getOperand(0);
      Operation sunk(op.getKind(), operands, {inner}, op.getAttrs(),
                     op.getLoc());
      ValueId result = op.getResult();
      definer[inner] = ops.size();
      ops.push_back(std::move(sunk));
      definer[result] = ops.size();
      ops.push_back(makeTranspose(inner, result, *perm, op.getLoc()));
    }
    graph.getOps() = std::move(ops);
  }

  // The permutation `op` can be sunk under: its element operands of rank
  // above 0 all have the result's shape and come from Transposes of that
  // permutation (one at least).
  template <typename TransposeOf>
  static std::optional<Perm> sinkablePerm(const Graph &graph,
                                          const Operation &op,
                                          TransposeOf transposeOf) {
    auto elements = perElementOperands(graph, op);
    if (!elements)
      return std::nullopt;
    const TensorType &y = graph.getType(op.getResult());
    std::optional<Perm> perm;
    for (unsigned i : *elements) {
      ValueId v = op.getOperand(i);
      if (graph.getType(v).rank() == 0)
        continue;
      const Operation *t = transposeOf(v);
      if (!t || graph.getType(v).shape != y.shape)
        return std::nullopt;
      Perm p = permOf(graph, *t);
      if (perm && *perm != p)
        return std::nullopt;
      perm = std::move(p);
    }
    return perm;
  }

  // Step 3: uses of T'(T(a)) become uses of a.
  static void cancelInverses(Graph &graph) {
    rewrite::UseMap uses(graph);
    llvm::DenseMap<ValueId, ValueId> replacement;
    for (const Operation &op : graph.getOps()) {
      if (op.getKind() != OpKind::Transpose)
        continue;
      const Operation *inner = uses.defOf(graph, op.getOperand(0));
      if (!inner || inner->getKind() != OpKind::Transpose)
        continue;
      if (inversePerm(permOf(graph, *inner)) == permOf(graph, op))
        replacement[op.getResult()] = inner->getOperand(0);
    }
    rewrite::replaceUses(graph, replacement);
  }

  // Step 4: T(U(a)), U's result used only by T and no narrower than a,
  // becomes U(T(a)); both take T's place. Whether any did.
  static bool hoistTransposes(Graph &graph) {
    rewrite::UseMap uses(graph);
    std::vector<Operation> &old = graph.getOps();
    llvm::DenseMap<size_t, size_t> underOf; // T's index -> U's
    llvm::DenseSet<size_t> unders;
    for (size_t i = 0; i < old.size(); ++i)
      if (std::optional<size_t> u = hoistableUnder(graph, uses, old[i])) {
        underOf[i] = *u;
        unders.insert(*u);
      }
    if (underOf.empty())
      return false;
    std::vector<Operation> ops;
    for (size_t i = 0; i < old.size(); ++i) {
      if (unders.contains(i))
        continue;
      auto it = underOf.find(i);
      if (it == underOf.end()) {
        ops.push_back(std::move(old[i]));
        continue;
      }
      const Operation &under = old[it->second];
      ValueId a = under.getOperand(0);
      TensorType at = graph.getType(a);
      Perm perm = permOf(graph, old[i]);
      ValueId moved =
          graph.newValue({at.elementType, permuteShape(at.shape, perm)});
      ops.push_back(makeTranspose(a, moved, perm, old[i].getLoc()));
      ops.push_back(Operation(under.getKind(), {moved}, {old[i].getResult()},
                              under.getAttrs(), under.getLoc()));
    }
    graph.getOps() = std::move(ops);
    return true;
  }

  // The index of U when `op` is a Transpose T of U(a) as step 4 says.
  static std::optional<size_t> hoistableUnder(const Graph &graph,
                                                const rewrite::UseMap &uses,
                                                const Operation &op) {
    if (op.getKind() != OpKind::Transpose)
      return std::nullopt;
    std::optional<size_t> u = uses.definerOf(op.getOperand(0));
    if (!u || !uses.soleUser(op.getOperand(0)))
      return std::nullopt;
    const Operation &under = graph.getOps()[*u];
    if (under.getNumOperands() != 1 || !perElementOperands(graph, under))
      return std::nullopt;
    return dataTypeSize(graph.getType(under.getOperand(0)).elementType) <=
                   dataTypeSize(graph.getType(under.getResult()).elementType)
               ? u
               : std::nullopt;
  }

  // Step 5, repeated: a Transpose can feed only Transposes erased before.
  static void eraseUnusedTransposes(Graph &graph) {
    for (bool erased = true; erased;) {
      rewrite::UseMap uses(graph);
      size_t before = graph.getOps().size();
      graph.eraseOpsIf([&](const Operation &op) {
        return op.getKind() == OpKind::Transpose &&
               uses.numUses(op.getResult()) == 0;
      });
      erased = graph.getOps().size() != before;
    }
  }
};

} // namespace

std::unique_ptr<Pass> createChannelsLastPass() {
  return std::make_unique<ChannelsLast>();
}

} // namespace qjit
