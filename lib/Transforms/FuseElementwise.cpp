//===- FuseElementwise.cpp - Elementwise chains become one loop -----------===//
//
// Groups connected fusable elementwise ops (qjit/IR/Fusion.h) that share an
// iteration shape and replaces each group of two or more by one
// FusedElementwise op whose body is the group's ops, unchanged. The fused
// op's operands are the values the group reads from outside; its results
// are the group's values read outside it (or returned), under their own
// ids, so no use needs renaming. Everything else stays in the body: one
// pass over memory, no intermediate buffers.
//
// A dense layer's MatMul (an anchor, see qjit/IR/Fusion.h) starts a group
// of its own that elementwise ops reading its product join; a group holds at
// most one anchor, first in its body.
//
// One walk in program order. An op joins the groups of the operands it
// reads as elements when their shape is its shape, unless that would make a
// cycle: some op outside the group reading a group value and feeding, maybe
// through others, the op (the fused op would come both before and after
// it). A fake quantization whose scale or zero point the group computes does
// not join it either: parameters are inputs. At the end the ops and fused
// ops are emitted in a topological order that keeps the program order
// wherever it can (each fused op at the place of its group's last op, and
// ops that read its values moved after it).
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Fusion.h"
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include <algorithm>
#include <queue>

namespace qjit {

namespace {

constexpr size_t kNoGroup = ~size_t(0);

class FuseElementwise : public GraphPass {
public:
  llvm::StringRef getName() const override { return "fuse-elementwise"; }

  llvm::Error runOnGraph(Graph &graph) override {
    formGroups(graph);
    rewrite(graph);
    return llvm::Error::success();
  }

private:
  // Op indices in program order; empty once merged into another group.
  using Members = llvm::SmallVector<size_t, 8>;

  void formGroups(const Graph &graph) {
    const std::vector<Operation> &ops = graph.getOps();
    groupOf.assign(ops.size(), kNoGroup);
    groups.clear();
    groupShape.clear();
    groupAnchored.clear();
    definer.clear();
    users.clear();
    for (size_t i = 0; i < ops.size(); ++i) {
      for (ValueId v : ops[i].getResults())
        definer[v] = i;
      for (ValueId v : ops[i].getOperands())
        users[v].push_back(i);
    }

    for (size_t i = 0; i < ops.size(); ++i) {
      const Operation &op = ops[i];
      const Shape &shape = graph.getType(op.getResult()).shape;
      if (isFusionAnchor(graph, op)) {
        groupOf[i] = groups.size();
        groups.push_back({i});
        groupShape.push_back(shape);
        groupAnchored.push_back(true);
        continue;
      }
      if (!isFusableElementwise(graph, op))
        continue;
      llvm::SmallVector<unsigned, 2> params = parameterOperands(op);
      llvm::SmallSetVector<size_t, 4> candidates;
      for (unsigned p = 0; p < op.getNumOperands(); ++p) {
        if (llvm::is_contained(params, p))
          continue;
        size_t g = groupContaining(op.getOperand(p));
        if (g != kNoGroup && groupShape[g] == shape)
          candidates.insert(g);
      }
      // Join the candidate groups one by one while no cycle forms. Joining
      // the first costs O(1) on a chain: only paths into `op` are new.
      llvm::SmallVector<size_t, 4> accepted;
      bool anchored = false;
      for (size_t g : candidates) {
        if ((anchored && groupAnchored[g]) || definesAny(g, op, params))
          continue;
        bool cycle = accepted.empty() ? reachesThroughOutside(ops, g, i)
                                      : makesCycle(ops, mergedWith(accepted, g, i), i);
        if (cycle)
          continue;
        anchored |= groupAnchored[g];
        accepted.push_back(g);
      }
      size_t target;
      if (accepted.empty()) {
        target = groups.size();
        groups.push_back({i});
        groupShape.push_back(shape);
        groupAnchored.push_back(false);
      } else {
        target = accepted.front();
        // Members stay in program order: `i` comes after all of them.
        if (accepted.size() == 1) {
          groups[target].push_back(i);
        } else {
          Members merged = mergedWith(llvm::ArrayRef(accepted).drop_back(),
                                      accepted.back(), i);
          for (size_t g : llvm::ArrayRef(accepted).drop_front())
            groups[g].clear();
          groups[target] = std::move(merged);
          for (size_t m : groups[target])
            groupOf[m] = target;
        }
        groupAnchored[target] = anchored;
      }
      groupOf[i] = target;
    }
  }

  // The members of `groups` and `g` and op `i`, in program order.
  Members mergedWith(llvm::ArrayRef<size_t> others, size_t g, size_t i) const {
    Members members(groups[g]);
    for (size_t other : others)
      members.append(groups[other]);
    members.push_back(i);
    llvm::sort(members);
    return members;
  }

  // Whether op `i` (not in group `g`, after all of its members) depends on
  // a member of `g` through an op outside it: joining would make a cycle.
  // Walks back from i's operands, through ops no earlier than g's first
  // member (earlier ones cannot depend on it).
  bool reachesThroughOutside(const std::vector<Operation> &ops, size_t g,
                             size_t i) const {
    size_t first = groups[g].front();
    llvm::SmallVector<size_t, 16> work;
    llvm::DenseSet<size_t> seen;
    auto visitOperands = [&](size_t consumer, bool direct) {
      for (ValueId v : ops[consumer].getOperands()) {
        auto it = definer.find(v);
        if (it == definer.end())
          continue;
        size_t d = it->second;
        if (groupOf[d] == g) {
          if (!direct)
            return true;
          continue;
        }
        if (d >= first && seen.insert(d).second)
          work.push_back(d);
      }
      return false;
    };
    if (visitOperands(i, /*direct=*/true))
      return true;
    while (!work.empty())
      if (visitOperands(work.pop_back_val(), /*direct=*/false))
        return true;
    return false;
  }

  size_t groupContaining(ValueId v) const {
    auto it = definer.find(v);
    return it == definer.end() ? kNoGroup : groupOf[it->second];
  }

  // Whether a path leads from a result of `members` through ops outside them
  // back to a member. Only ops before `last` (the latest member) can be on
  // such a path.
  bool makesCycle(const std::vector<Operation> &ops, const Members &members,
                  size_t last) const {
    llvm::SmallVector<size_t, 16> work;
    llvm::DenseSet<size_t> seen;
    // A set, not a scan of `members`: on long chains the group holds
    // thousands of ops and every visited op is looked up.
    llvm::DenseSet<size_t> isMember(members.begin(), members.end());
    auto visitUsers = [&](size_t producer) {
      for (ValueId v : ops[producer].getResults())
        for (size_t u : users.lookup(v))
          if (u <= last && seen.insert(u).second)
            work.push_back(u);
    };
    for (size_t m : members)
      visitUsers(m);
    while (!work.empty()) {
      size_t u = work.pop_back_val();
      if (isMember.contains(u)) {
        // Reached directly from a member it is just an edge inside the
        // group; only paths that left the group count.
        continue;
      }
      visitUsers(u);
    }
    // Members reached through an outside op.
    for (size_t m : members)
      for (ValueId v : ops[m].getOperands()) {
        auto it = definer.find(v);
        if (it != definer.end() && !isMember.contains(it->second) &&
            seen.contains(it->second))
          return true;
      }
    return false;
  }

  // Whether group `g` computes one of `op`'s parameter operands.
  bool definesAny(size_t g, const Operation &op,
                  llvm::ArrayRef<unsigned> params) const {
    return llvm::any_of(params, [&](unsigned p) {
      return groupContaining(op.getOperand(p)) == g;
    });
  }

  Operation buildFusedOp(const Graph &graph, Members members) const {
    const std::vector<Operation> &ops = graph.getOps();
    // The anchor computes first; it reads only values from outside.
    std::stable_partition(members.begin(), members.end(), [&](size_t m) {
      return isFusionAnchor(graph, ops[m]);
    });
    llvm::DenseSet<ValueId> inside;
    for (size_t m : members)
      inside.insert(ops[m].getResults().begin(), ops[m].getResults().end());
    auto body = std::make_shared<Graph>(graph.getName().str());
    body->setLoc(ops[lastOf(members)].getLoc());
    llvm::SmallVector<ValueId, 4> operands;
    for (size_t m : members)
      for (ValueId v : ops[m].getOperands())
        if (!inside.contains(v) && !llvm::is_contained(operands, v)) {
          operands.push_back(v);
          body->defineValue(v, graph.getType(v));
          body->addInput(v);
        }
    llvm::SmallVector<ValueId, 1> results;
    llvm::ArrayRef<ValueId> outputs = graph.getOutputs();
    llvm::DenseSet<size_t> isMember(members.begin(), members.end());
    for (size_t m : members) {
      for (ValueId v : ops[m].getResults()) {
        body->defineValue(v, graph.getType(v));
        bool readOutside =
            llvm::is_contained(outputs, v) ||
            llvm::any_of(users.lookup(v), [&](size_t u) {
              return !isMember.contains(u);
            });
        if (readOutside)
          results.push_back(v);
      }
      body->addOp(ops[m]);
    }
    // A group nothing reads is dead code; it still yields its last value so
    // that the op stays well formed (dce removes it).
    if (results.empty())
      results.push_back(ops[lastOf(members)].getResult());
    body->setOutputs(results);
    Operation fused(OpKind::FusedElementwise, std::move(operands), results, {},
                    ops[lastOf(members)].getLoc());
    fused.setBody(std::move(body));
    return fused;
  }

  // The index of the latest member: where the fused op stands.
  static size_t lastOf(const Members &members) {
    return *std::max_element(members.begin(), members.end());
  }

  bool isFused(size_t op) const {
    return groupOf[op] != kNoGroup && groups[groupOf[op]].size() >= 2;
  }

  void rewrite(Graph &graph) {
    const std::vector<Operation> &ops = graph.getOps();
    // One node per unfused op and per group, named by its (last) op index.
    std::vector<size_t> node(ops.size());
    for (size_t i = 0; i < ops.size(); ++i)
      node[i] = isFused(i) ? groups[groupOf[i]].back() : i;
    llvm::DenseMap<size_t, llvm::SmallVector<size_t, 4>> successors;
    std::vector<unsigned> waiting(ops.size(), 0); // unemitted predecessors
    llvm::DenseSet<std::pair<size_t, size_t>> edges;
    for (size_t j = 0; j < ops.size(); ++j)
      for (ValueId v : ops[j].getOperands()) {
        auto it = definer.find(v);
        if (it == definer.end() || node[it->second] == node[j] ||
            !edges.insert({node[it->second], node[j]}).second)
          continue;
        successors[node[it->second]].push_back(node[j]);
        ++waiting[node[j]];
      }

    // Kahn's algorithm, always taking the ready node that comes first in
    // the program.
    std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>>
        ready;
    for (size_t i = 0; i < ops.size(); ++i)
      if (node[i] == i && waiting[i] == 0)
        ready.push(i);
    std::vector<Operation> rewritten;
    llvm::DenseSet<ValueId> fusedAway; // first results of fused ops' members
    llvm::SmallVector<std::pair<ValueId, TensorType>, 8> fusedResults;
    while (!ready.empty()) {
      size_t n = ready.top();
      ready.pop();
      if (isFused(n)) {
        const Members &members = groups[groupOf[n]];
        for (size_t m : members) {
          rewritten.push_back(ops[m]); // erased below, with their types
          fusedAway.insert(ops[m].getResult());
        }
        Operation fused = buildFusedOp(graph, members);
        for (ValueId v : fused.getResults())
          fusedResults.push_back({v, graph.getType(v)});
        rewritten.push_back(std::move(fused));
      } else {
        rewritten.push_back(ops[n]);
      }
      for (size_t next : successors.lookup(n))
        if (--waiting[next] == 0)
          ready.push(next);
    }
    assert(rewritten.size() >= ops.size() && "the fused graph has a cycle");
    graph.getOps() = std::move(rewritten);
    // Drops the members (and the types of the values only bodies hold now),
    // then restores the types of the fused ops' results.
    graph.eraseOpsIf([&](const Operation &op) {
      return op.getKind() != OpKind::FusedElementwise &&
             fusedAway.contains(op.getResult());
    });
    for (auto &[v, type] : fusedResults)
      graph.setType(v, type);
  }

  std::vector<size_t> groupOf;             // op index -> group
  std::vector<Members> groups;             // group -> members
  std::vector<Shape> groupShape;           // group -> iteration shape
  std::vector<bool> groupAnchored;         // group -> holds an anchor
  llvm::DenseMap<ValueId, size_t> definer; // value -> defining op index
  llvm::DenseMap<ValueId, llvm::SmallVector<size_t, 2>> users;
};

} // namespace

std::unique_ptr<Pass> createFuseElementwisePass() {
  return std::make_unique<FuseElementwise>();
}

} // namespace qjit
