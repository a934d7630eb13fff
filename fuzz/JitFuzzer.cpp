//===- JitFuzzer.cpp - libFuzzer target: parse, passes, JIT compile, run --===//
//
// Parses and verifies the input bytes, runs a pass pipeline, JIT-compiles the
// first graph and runs it on small random inputs. Graphs with a tensor of more
// than kMaxElements elements (anywhere, fused bodies included, before and
// after the passes) are skipped: the point is the compiler, not allocation.
//
// The pipeline and the optimization level come from the input's length, so an
// input always takes the same path and a mutation can switch paths:
//   bit 0: autodiff first (the backward graph, then fused like the rest)
//   bit 1: -O2 instead of -O0
// then always dce, cse, fuse-elementwise.
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Parser.h"
#include "qjit/IR/Tensor.h"
#include "qjit/JIT/Jit.h"
#include "qjit/Transforms/PassRegistry.h"
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

constexpr int64_t kMaxElements = 4096;

// Overflow-checked: the shapes come straight from the fuzzer.
bool isSmall(const qjit::TensorType &type) {
  int64_t elements = 1;
  for (int64_t d : type.shape)
    if (d < 0 || __builtin_mul_overflow(elements, d, &elements) ||
        elements > kMaxElements)
      return false;
  return true;
}

bool allSmall(const qjit::Graph &graph) {
  for (qjit::ValueId v : graph.getInputs())
    if (!isSmall(graph.getType(v)))
      return false;
  for (const qjit::Operation &op : graph.getOps()) {
    for (qjit::ValueId v : op.getResults())
      if (!isSmall(graph.getType(v)))
        return false;
    if (const qjit::Graph *body = op.getBody(); body && !allSmall(*body))
      return false;
  }
  return true;
}

bool allSmall(const qjit::Module &module) {
  for (const qjit::Graph &g : module.getGraphs())
    if (!allSmall(g))
      return false;
  return true;
}

// Values that no op of any type turns into a trap or UB by themselves.
void fillRandom(qjit::Tensor &t, uint64_t &state) {
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  int64_t n = t.numElements();
  switch (t.elementType()) {
#define QJIT_FILL(Name, CType, Descr)                                          \
  case qjit::DataType::Name: {                                                 \
    CType *p = t.as<CType>();                                                  \
    for (int64_t i = 0; i < n; ++i) {                                          \
      if constexpr (std::is_same_v<CType, bool>)                               \
        p[i] = next() & 1;                                                     \
      else if constexpr (std::is_floating_point_v<CType>)                      \
        p[i] = static_cast<CType>(static_cast<int64_t>(next() % 2001) - 1000) / \
               CType(250);                                                     \
      else if constexpr (std::is_signed_v<CType>)                              \
        p[i] = static_cast<CType>(static_cast<int64_t>(next() % 17) - 8);      \
      else                                                                     \
        p[i] = static_cast<CType>(next() % 17);                                \
    }                                                                          \
    break;                                                                     \
  }
    QJIT_DTYPES(QJIT_FILL)
#undef QJIT_FILL
  }
}

// One JIT per optimization level. Each compile stays in its JIT's cache and
// code memory, so the JITs are remade every kRecreateEvery compiles to keep
// the fuzzer's memory bounded.
constexpr unsigned kRecreateEvery = 256;
std::unique_ptr<qjit::Jit> jits[2];
unsigned compiles[2];

qjit::Jit *getJit(unsigned level) {
  unsigned slot = level == 0 ? 0 : 1;
  if (!jits[slot] || compiles[slot] >= kRecreateEvery) {
    jits[slot].reset();
    qjit::JitOptions options;
    options.optLevel = level;
    auto created = qjit::Jit::create(options);
    if (!created) {
      llvm::consumeError(created.takeError());
      abort(); // the host must be supported
    }
    jits[slot] = std::move(*created);
    compiles[slot] = 0;
  }
  ++compiles[slot];
  return jits[slot].get();
}

template <typename T> bool ok(llvm::Expected<T> &value) {
  if (value)
    return true;
  llvm::consumeError(value.takeError());
  return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto module = qjit::parseAndVerify(text, "fuzz.qir");
  if (!ok(module) || module->getGraphs().empty() || !allSmall(*module))
    return 0;

  qjit::PassPipeline pipeline;
  llvm::SmallVector<llvm::StringRef, 4> names;
  if (size & 1)
    names.push_back("autodiff");
  names.append({"dce", "cse", "fuse-elementwise"});
  for (llvm::StringRef name : names) {
    const qjit::PassInfo *info = qjit::findPass(name);
    if (!info)
      abort(); // the registry lost a pass this target relies on
    pipeline.addPass(info->create());
  }
  if (llvm::Error err = pipeline.run(*module)) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  if (module->getGraphs().empty() || !allSmall(*module))
    return 0;

  const qjit::Graph &graph = module->getGraphs().front();
  qjit::Jit *jit = getJit(size & 2 ? 2 : 0);
  auto compiled = jit->compile(graph);
  if (!ok(compiled))
    return 0;

  std::vector<qjit::Tensor> inputs;
  uint64_t state = size;
  for (const qjit::TensorType &type : (*compiled)->getInputTypes()) {
    inputs.emplace_back(type);
    fillRandom(inputs.back(), state);
  }
  qjit::RunOptions options;
  options.threads = 1 + (size & 4 ? 1 : 0);
  auto outputs = (*compiled)->run(inputs, options);
  ok(outputs);
  return 0;
}
