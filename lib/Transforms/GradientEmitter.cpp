//===- GradientEmitter.cpp - Building the backward ops --------------------===//
#include "GradientEmitter.h"
#include "qjit/Support/Error.h"
#include <bit>
#include "Support/MakeError.h"

namespace qjit {

void GradientEmitter::accumulate(ValueId v, ValueId grad) {
  if (failed())
    return;
  auto [it, inserted] = gradients.try_emplace(v, grad);
  if (!inserted)
    it->second = create(OpKind::Add, {it->second, grad});
}

std::optional<ValueId> GradientEmitter::gradientOf(ValueId v) const {
  auto it = gradients.find(v);
  if (it == gradients.end())
    return std::nullopt;
  return it->second;
}

std::optional<ValueId> GradientEmitter::maskOf(ValueId y) const {
  auto it = masks.find(y);
  if (it == masks.end())
    return std::nullopt;
  return it->second;
}

void GradientEmitter::fail(llvm::Error err) {
  if (!firstError) {
    firstError = llvm::toString(std::move(err));
    errorLoc = loc;
  } else {
    llvm::consumeError(std::move(err));
  }
}

llvm::Error GradientEmitter::takeError() {
  if (!firstError)
    return llvm::Error::success();
  std::string message = std::move(*firstError);
  firstError.reset();
  return makeLocatedError(errorLoc, "internal error in autodiff: {}", message);
}

llvm::SmallVector<ValueId, 3>
GradientEmitter::createMulti(OpKind kind, llvm::ArrayRef<ValueId> operands,
                             unsigned numResults, AttrList attrs) {
  llvm::SmallVector<ValueId, 3> none(numResults, kNoValue);
  if (failed())
    return none;
  auto results = builder.createMulti(kind, operands, std::move(attrs));
  if (!results) {
    fail(results.takeError());
    return none;
  }
  if (results->size() != numResults) {
    fail(makeError("'{}' gave {} results, expected {}", opName(kind).str(),
                   results->size(), numResults));
    return none;
  }
  graph.getOps().back().setLoc(loc);
  return llvm::SmallVector<ValueId, 3>(results->begin(), results->end());
}

ValueId GradientEmitter::create(OpKind kind, llvm::ArrayRef<ValueId> operands,
                                AttrList attrs) {
  return createMulti(kind, operands, 1, std::move(attrs)).front();
}

ValueId GradientEmitter::scalar(DataType type, double value) {
  auto key = std::pair(type, std::bit_cast<uint64_t>(value));
  if (auto it = scalars.find(key); it != scalars.end())
    return it->second;
  if (failed())
    return kNoValue;
  auto c = builder.constant(TensorType{type, {}}, Attribute(value));
  if (!c) {
    fail(c.takeError());
    return kNoValue;
  }
  graph.getOps().back().setLoc(loc);
  scalars[key] = *c;
  return *c;
}

ValueId GradientEmitter::zeros(const TensorType &type) {
  if (failed())
    return kNoValue;
  Attribute zero =
      isFloatType(type.elementType) ? Attribute(0.0) : Attribute(int64_t(0));
  auto c = builder.constant(type, zero);
  if (!c) {
    fail(c.takeError());
    return kNoValue;
  }
  graph.getOps().back().setLoc(loc);
  return *c;
}

ValueId GradientEmitter::unbroadcast(ValueId grad,
                                     llvm::ArrayRef<int64_t> target) {
  if (failed())
    return kNoValue;
  // A copy: `target` may be a type's shape in the graph, which creating ops
  // moves (JitFuzzer found the read after free).
  const Shape shape(target.begin(), target.end());
  llvm::ArrayRef<int64_t> from = type(grad).shape;
  if (from == llvm::ArrayRef<int64_t>(shape))
    return grad;
  size_t lead = from.size() - shape.size();
  std::vector<int64_t> axes;
  for (size_t d = 0; d < from.size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1))
      axes.push_back(static_cast<int64_t>(d));
  ValueId sum = grad;
  if (!axes.empty())
    sum = create(OpKind::ReduceSum, {grad},
                 {{"axes", std::move(axes)}, {"keep_dims", true}});
  if (failed() || type(sum).shape == shape)
    return sum;
  return create(OpKind::Reshape, {sum},
                {{"shape", std::vector<int64_t>(shape.begin(), shape.end())}});
}

} // namespace qjit
