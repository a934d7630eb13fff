//===- JitTestSupport.h - Helpers of the JIT tests --------------*- C++ -*-===//
//
// Shared JIT sessions, graphs of one op, random tensors salted with the
// values that break careless code (NaN, infinities, -0.0, ties, huge
// values), and the bit-for-bit comparison of the JIT with the interpreter.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_TEST_UNIT_JITTESTSUPPORT_H
#define QJIT_TEST_UNIT_JITTESTSUPPORT_H

#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/Graph.h"
#include "qjit/IR/Tensor.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/JIT/Jit.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include <cmath>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace qjit::test {

// The optimization levels the JIT is compared at.
inline constexpr unsigned kOptLevels[] = {0, 2};

inline constexpr DataType kNumericTypes[] = {
    DataType::Float32, DataType::Float64, DataType::Int8, DataType::UInt8,
    DataType::Int16,   DataType::Int32,   DataType::Int64};

inline TensorType typeOf(DataType type, llvm::ArrayRef<int64_t> shape) {
  return {type, Shape(shape.begin(), shape.end())};
}

// Calls `f` with a value of the C++ element type of `type` (bool for Bool).
template <typename F> decltype(auto) visitElementType(DataType type, F &&f) {
  switch (type) {
#define QJIT_VISIT_DTYPE(Name, CType, Descr)                                   \
  case DataType::Name:                                                         \
    return f(CType());
    QJIT_DTYPES(QJIT_VISIT_DTYPE)
#undef QJIT_VISIT_DTYPE
  }
  llvm_unreachable("not a DataType");
}

// One Jit per optimization level for the whole test program.
inline Jit &jitAt(unsigned optLevel) {
  static std::unique_ptr<Jit> sessions[4];
  std::unique_ptr<Jit> &session = sessions[optLevel];
  if (!session) {
    auto created = Jit::create(JitOptions{optLevel, "", ""});
    if (!expectOk(created, "creating the JIT"))
      std::abort();
    session = std::move(*created);
  }
  return *session;
}

// A graph whose inputs are `inputs` and whose outputs are every result of one
// `kind` op applied to all of them in order.
inline Graph singleOpGraph(OpKind kind, llvm::ArrayRef<TensorType> inputs,
                           AttrList attrs = {}) {
  Graph graph("single");
  Builder b(graph);
  llvm::SmallVector<ValueId, 4> ids;
  for (const TensorType &t : inputs)
    ids.push_back(b.addInput(t));
  auto results = b.createMulti(kind, ids, std::move(attrs));
  if (!expectOk(results, "building " + opName(kind).str()))
    return graph;
  b.setOutputs(*results);
  return graph;
}

// One graph applying `kind` (with `attrs`) to inputs of each shape list;
// every result is an output.
inline Graph manyShapesGraph(OpKind kind, DataType type,
                             llvm::ArrayRef<std::vector<Shape>> operandShapes,
                             const AttrList &attrs = {}) {
  Graph graph(
      fmt::format("{}_{}", opName(kind).str(), dataTypeName(type).str()));
  Builder b(graph);
  llvm::SmallVector<ValueId> outputs;
  for (const std::vector<Shape> &shapes : operandShapes) {
    llvm::SmallVector<ValueId, 2> operands;
    for (const Shape &shape : shapes)
      operands.push_back(b.addInput(type, shape));
    auto result = b.create(kind, operands, attrs);
    if (!expectOk(result, shapeToString(shapes[0])))
      continue;
    outputs.push_back(*result);
  }
  b.setOutputs(outputs);
  return graph;
}

struct FillOptions {
  double range = 100;         // uniform values in [-range, range]
  double specialFraction = 0; // NaN, +-inf, -0.0, +0.0, huge, denormal
  double tieFraction = 0;     // (k + 0.5) * tieScale, k a random integer
  double tieScale = 1;
  int64_t tieRange = 300; // |k| <= tieRange
};

inline std::mt19937_64 &testRng() {
  static std::mt19937_64 rng(20261128);
  return rng;
}

template <typename T> T specialValue(std::mt19937_64 &rng) {
  static_assert(std::is_floating_point_v<T>);
  const T values[] = {std::numeric_limits<T>::quiet_NaN(),
                      std::numeric_limits<T>::infinity(),
                      -std::numeric_limits<T>::infinity(),
                      T(-0.0),
                      T(0.0),
                      std::numeric_limits<T>::max(),
                      std::numeric_limits<T>::lowest(),
                      T(1e30),
                      T(-3e29),
                      std::numeric_limits<T>::denorm_min(),
                      -std::numeric_limits<T>::min()};
  return values[rng() % std::size(values)];
}

inline Tensor randomTensor(const TensorType &type,
                           const FillOptions &options = {},
                           std::mt19937_64 &rng = testRng()) {
  Tensor t(type);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto fillFloat = [&](auto *data) {
    using T = std::remove_pointer_t<decltype(data)>;
    for (int64_t i = 0; i < t.numElements(); ++i) {
      double pick = unit(rng);
      if (pick < options.specialFraction) {
        data[i] = specialValue<T>(rng);
      } else if (pick < options.specialFraction + options.tieFraction) {
        int64_t span = 2 * options.tieRange + 1;
        int64_t k = int64_t(rng() % span) - options.tieRange;
        data[i] = (T(k) + T(0.5)) * T(options.tieScale);
      } else {
        data[i] = T((unit(rng) * 2 - 1) * options.range);
      }
    }
  };
  auto fillInt = [&](auto *data) {
    using T = std::remove_pointer_t<decltype(data)>;
    for (int64_t i = 0; i < t.numElements(); ++i) {
      // Mostly small numbers, some anywhere in the range (to wrap).
      if (unit(rng) < 0.3)
        data[i] = static_cast<T>(rng());
      else
        data[i] = static_cast<T>(int64_t(rng() % 41) - 20);
    }
  };
  visitElementType(type.elementType, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.as<bool>()[i] = rng() & 1;
    } else if constexpr (std::is_floating_point_v<T>) {
      fillFloat(t.as<T>());
    } else {
      fillInt(t.as<T>());
    }
  });
  return t;
}

// Where two tensors first differ, for a readable failure.
inline std::string describeMismatch(const Tensor &actual,
                                    const Tensor &expected) {
  if (actual.getType() != expected.getType())
    return "type " + actual.getType().toString() + " vs " +
           expected.getType().toString();
  size_t width = dataTypeSize(actual.elementType());
  auto *a = static_cast<const unsigned char *>(actual.data());
  auto *e = static_cast<const unsigned char *>(expected.data());
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    if (std::memcmp(a + i * width, e + i * width, width) == 0)
      continue;
    std::string text = "element " + std::to_string(i) + ": ";
    switch (actual.elementType()) {
    case DataType::Float32:
      return text + fmt::format(
                        "{} (0x{:08x}) vs {} (0x{:08x})", actual.as<float>()[i],
                        bitsOf(actual.as<float>()[i]), expected.as<float>()[i],
                        bitsOf(expected.as<float>()[i]));
    case DataType::Float64:
      return text + fmt::format("{} vs {}", actual.as<double>()[i],
                                expected.as<double>()[i]);
    default: {
      uint64_t av = 0, ev = 0;
      std::memcpy(&av, a + i * width, width);
      std::memcpy(&ev, e + i * width, width);
      return text + fmt::format("0x{:x} vs 0x{:x}", av, ev);
    }
    }
  }
  return "equal";
}

// Equal bytes, except that any two NaNs are equal. For sums over many
// elements: when two NaNs meet in an addition, IEEE-754 leaves open which
// one results, and compilers commute the operands of an fadd.
inline bool equalUpToNaNPayload(const Tensor &a, const Tensor &b) {
  if (a.getType() != b.getType())
    return false;
  auto compare = [&](auto *x, auto *y) {
    for (int64_t i = 0; i < a.numElements(); ++i)
      if (!(std::isnan(x[i]) && std::isnan(y[i])) &&
          bitsOf(x[i]) != bitsOf(y[i]))
        return false;
    return true;
  };
  switch (a.elementType()) {
  case DataType::Float32:
    return compare(a.as<float>(), b.as<float>());
  case DataType::Float64:
    return compare(a.as<double>(), b.as<double>());
  default:
    return a.bitwiseEqual(b);
  }
}

// The outputs of `graph` on `inputs` compiled at `optLevel`; nothing (after
// a test failure naming the error) when compiling or running fails.
inline std::optional<std::vector<Tensor>>
jitOutputs(const Graph &graph, llvm::ArrayRef<Tensor> inputs,
           unsigned optLevel = 2) {
  auto compiled = jitAt(optLevel).compile(graph);
  if (!expectOk(compiled, "compiling"))
    return std::nullopt;
  auto outputs = (*compiled)->run(inputs);
  if (!expectOk(outputs, "running"))
    return std::nullopt;
  return std::move(*outputs);
}

// The outputs of one graph from the JIT (`actual`) and the interpreter
// (`expected`), as many of each.
struct JitAndInterpreterOutputs {
  std::vector<Tensor> actual, expected;
};

// Runs `graph` on `inputs` with the interpreter and the JIT at `optLevel`;
// when either fails or they give different numbers of outputs, that is a
// test failure and the result is empty.
inline std::optional<JitAndInterpreterOutputs>
runJitAndInterpreter(const Graph &graph, llvm::ArrayRef<Tensor> inputs,
                     unsigned optLevel) {
  auto expected = interpret(graph, inputs);
  if (!expectOk(expected, "interpreting"))
    return std::nullopt;
  auto actual = jitOutputs(graph, inputs, optLevel);
  if (!actual)
    return std::nullopt;
  EXPECT_EQ(actual->size(), expected->size());
  if (actual->size() != expected->size())
    return std::nullopt;
  return JitAndInterpreterOutputs{std::move(*actual), std::move(*expected)};
}

// Runs `graph` on `inputs` with the JIT at `optLevel` and the interpreter
// and expects every output byte to agree (outputs listed in `sums` up to the
// payload of NaNs).
inline void expectMatchesInterpreter(const Graph &graph,
                                     llvm::ArrayRef<Tensor> inputs,
                                     unsigned optLevel, const std::string &what,
                                     llvm::ArrayRef<size_t> sums = {}) {
  SCOPED_TRACE(what + " at -O" + std::to_string(optLevel) + "\n" +
               graph.toString());
  auto outputs = runJitAndInterpreter(graph, inputs, optLevel);
  if (!outputs)
    return;
  const std::vector<Tensor> &actual = outputs->actual;
  const std::vector<Tensor> &expected = outputs->expected;
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_TRUE(llvm::is_contained(sums, i)
                    ? equalUpToNaNPayload(actual[i], expected[i])
                    : actual[i].bitwiseEqual(expected[i]))
        << "output " << i << ": " << describeMismatch(actual[i], expected[i]);
}

// Random inputs for every input of `graph`.
inline std::vector<Tensor> randomInputs(const Graph &graph,
                                        const FillOptions &options = {}) {
  std::vector<Tensor> inputs;
  for (ValueId v : graph.getInputs())
    inputs.push_back(randomTensor(graph.getType(v), options));
  return inputs;
}

} // namespace qjit::test

#endif
