//===- GradientEmitter.h - Building the backward ops ------------*- C++ -*-===//
//
// Internal to lib/Transforms. The autodiff pass (Autodiff.cpp) walks f's ops
// backwards and asks the rule of each op (BackwardRules.cpp) to emit the
// gradients of its operands through a GradientEmitter, which appends ops to
// the gradient graph and accumulates gradients per forward value.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_TRANSFORMS_GRADIENTEMITTER_H
#define QJIT_LIB_TRANSFORMS_GRADIENTEMITTER_H

#include "qjit/IR/Builder.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include <map>

namespace qjit {

class GradientEmitter {
public:
  // `gradient` holds a copy of the forward values under the same ids.
  // `needed` are the forward values whose gradients are wanted.
  GradientEmitter(Graph &gradient, llvm::DenseSet<ValueId> needed)
      : graph(gradient), builder(gradient), needed(std::move(needed)) {}

  // The type of a value of the gradient graph (forward copies included).
  const TensorType &type(ValueId v) const { return graph.getType(v); }
  // Whether the gradient of forward value `v` is wanted.
  bool needs(ValueId v) const { return needed.contains(v); }
  // Adds `grad` (v's type) to the gradient of forward value `v`.
  void accumulate(ValueId v, ValueId grad);
  // The accumulated gradient of `v`, if any.
  std::optional<ValueId> gradientOf(ValueId v) const;

  // Appends an op at the current location. After a failure every call
  // returns kNoValue and error() holds the first failure.
  ValueId create(OpKind kind, llvm::ArrayRef<ValueId> operands,
                 AttrList attrs = {});
  llvm::SmallVector<ValueId, 3> createMulti(OpKind kind,
                                            llvm::ArrayRef<ValueId> operands,
                                            unsigned numResults,
                                            AttrList attrs = {});
  // A scalar Constant of a float type (one per type and value).
  ValueId scalar(DataType type, double value);
  // A Constant of zeros of `type`.
  ValueId zeros(const TensorType &type);
  // Sums `grad`, of a broadcast result's shape, back to `shape` (NumPy
  // broadcasting run backwards): ReduceSum over the broadcast axes with
  // keep_dims, then Reshape if leading axes were added.
  ValueId unbroadcast(ValueId grad, llvm::ArrayRef<int64_t> shape);

  // The location given to the ops created from now on.
  void setLoc(llvm::SMLoc l) { loc = l; }
  // The Bool mask result of the copied FakeQuantization `y` (clipped rule).
  void setMask(ValueId y, ValueId mask) { masks[y] = mask; }
  std::optional<ValueId> maskOf(ValueId y) const;

  bool failed() const { return static_cast<bool>(firstError); }
  llvm::Error takeError();

  static constexpr ValueId kNoValue = ~ValueId(0);

private:
  void fail(llvm::Error err);

  Graph &graph;
  Builder builder;
  llvm::DenseSet<ValueId> needed;
  llvm::DenseMap<ValueId, ValueId> gradients;
  llvm::DenseMap<ValueId, ValueId> masks;
  std::map<std::pair<DataType, uint64_t>, ValueId> scalars;
  llvm::SMLoc loc;
  llvm::SMLoc errorLoc;
  std::optional<std::string> firstError;
};

// Whether `op` has a backward rule: false for Quantize, Dequantize and the
// Grad<Op> ops. (FakeQuantization's rule passes no gradient to its scale and
// zero point operands under ste and clipped: they are constants there.)
bool hasGradientRule(const Operation &op);
// Emits the gradients of the operands of forward op `op` that the emitter
// needs, from `dy`, the gradient of its (first) result.
void emitGradientRule(GradientEmitter &e, const Operation &op, ValueId dy);

} // namespace qjit

#endif
