//===- InterpreterTestSupport.h - One-op graphs in tests --------*- C++ -*-===//
#ifndef QJIT_TEST_UNIT_INTERPRETERTESTSUPPORT_H
#define QJIT_TEST_UNIT_INTERPRETERTESTSUPPORT_H

#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/Interpreter/Interpreter.h"
#include <cmath>
#include <limits>
#include <vector>

namespace qjit::test {

inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
inline constexpr double kInfD = std::numeric_limits<double>::infinity();
inline constexpr double kNaND = std::numeric_limits<double>::quiet_NaN();

template <typename T>
Tensor makeTensor(llvm::ArrayRef<int64_t> shape, std::vector<T> values) {
  return Tensor(shape, llvm::ArrayRef<T>(values));
}

template <typename T> std::vector<T> valuesOf(const Tensor &t) {
  llvm::ArrayRef<T> v = t.values<T>();
  return {v.begin(), v.end()};
}

// Builds @t(inputs of the operands' types) { results = kind(inputs, attrs);
// return results } and interprets it on `operands`. A failure to build or
// run is a test failure and yields no tensors.
inline std::vector<Tensor> evaluate(OpKind kind,
                                    const std::vector<Tensor> &operands,
                                    AttrList attrs = {}) {
  Graph g("t");
  Builder b(g);
  llvm::SmallVector<ValueId, 4> ids;
  for (const Tensor &t : operands)
    ids.push_back(b.addInput(t.getType()));
  auto results = b.createMulti(kind, ids, std::move(attrs));
  if (!expectOk(results, "build"))
    return {};
  b.setOutputs(*results);
  auto outputs = interpret(g, operands);
  if (!expectOk(outputs, "interpret"))
    return {};
  return std::move(*outputs);
}

// The single result of `kind` (an empty Float32 [0] tensor on failure, so
// the caller's comparisons fail rather than crash).
inline Tensor evaluateOne(OpKind kind, const std::vector<Tensor> &operands,
                          AttrList attrs = {}) {
  std::vector<Tensor> results = evaluate(kind, operands, std::move(attrs));
  if (results.size() != 1) {
    ADD_FAILURE() << "expected one result, got " << results.size();
    return Tensor(TensorType{DataType::Float32, {0}});
  }
  return std::move(results[0]);
}

// `actual` holds exactly `expected`, bit for bit (so -0.0 != +0.0; a NaN
// expectation matches any NaN, whose payload is not part of the contract).
template <typename T>
void expectSameFloats(const Tensor &actual, const std::vector<T> &expected) {
  ASSERT_EQ(actual.elementType(), *dataTypeOf<T>());
  ASSERT_EQ(actual.numElements(), static_cast<int64_t>(expected.size()));
  llvm::ArrayRef<T> got = actual.values<T>();
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("element " + std::to_string(i));
    if (std::isnan(expected[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "actual " << got[i];
    else
      EXPECT_SAME_FLOAT(got[i], expected[i]);
  }
}

} // namespace qjit::test

#endif
