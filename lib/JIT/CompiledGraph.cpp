//===- CompiledGraph.cpp - Checked calls of a compiled graph --------------===//
#include "qjit/JIT/Jit.h"
#include "ParallelRuntime.h"
#include "Runtime/RunFailure.h"
#include "qjit/IR/DenseData.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/SmallVector.h"
#include <algorithm>
#include <cstdlib>
#include <new>
#include "Support/MakeError.h"

namespace qjit {
namespace {

// Each thread keeps the largest workspace it has needed, so repeated runs
// neither allocate nor fault in fresh pages.
void *threadWorkspace(uint64_t bytes) {
  struct Buffer {
    void *data = nullptr;
    uint64_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  if (bytes > buffer.size) {
    uint64_t size = (bytes + Tensor::kAlignment - 1) / Tensor::kAlignment *
                    Tensor::kAlignment;
    void *data = std::aligned_alloc(Tensor::kAlignment, size);
    if (!data)
      return nullptr;
    std::free(buffer.data);
    buffer.data = data;
    buffer.size = size;
  }
  return buffer.data;
}

// The bytes of buffer `index` (inputs first, then outputs).
struct Span {
  uintptr_t begin, end;
  size_t index;
};

} // namespace

CompiledGraph::CompiledGraph(std::string graphName,
                             std::vector<TensorType> inputTypes,
                             std::vector<TensorType> outputTypes,
                             uint64_t workspaceSize, EntryFn entry,
                             bool usesThreads,
                             std::vector<std::shared_ptr<const DenseData>> data)
    : graphName(std::move(graphName)), inputTypes(std::move(inputTypes)),
      outputTypes(std::move(outputTypes)), workspaceSize(workspaceSize),
      entry(entry), threaded(usesThreads), data(std::move(data)) {
  // The code only reads them; the ABI's table is of void *.
  for (const std::shared_ptr<const DenseData> &bytes : this->data)
    dataPointers.push_back(const_cast<char *>(bytes->data()));
}

llvm::Error CompiledGraph::checkCounts(size_t inputs, size_t outputs) const {
  if (inputs != inputTypes.size())
    return makeError("graph @{} takes {} input(s), got {}", graphName,
                     inputTypes.size(), inputs);
  if (outputs != outputTypes.size())
    return makeError("graph @{} has {} output(s), got {}", graphName,
                     outputTypes.size(), outputs);
  return llvm::Error::success();
}

llvm::Error CompiledGraph::checkType(const TensorType &type, size_t index,
                                     bool isInput) const {
  const TensorType &expected =
      isInput ? inputTypes[index] : outputTypes[index];
  if (type != expected)
    return makeError("{} {} of graph @{} must be {}, got {}",
                     isInput ? "input" : "output", index, graphName,
                     expected.toString(), type.toString());
  return llvm::Error::success();
}

llvm::Error CompiledGraph::checkTypes(llvm::ArrayRef<TensorType> inputs,
                                      llvm::ArrayRef<TensorType> outputs) const {
  if (auto err = checkCounts(inputs.size(), outputs.size()))
    return err;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (auto err = checkType(inputs[i], i, /*isInput=*/true))
      return err;
  for (size_t j = 0; j < outputs.size(); ++j)
    if (auto err = checkType(outputs[j], j, /*isInput=*/false))
      return err;
  return llvm::Error::success();
}

llvm::Error CompiledGraph::run(llvm::ArrayRef<TensorRef> inputs,
                               llvm::ArrayRef<TensorRef> outputs,
                               RunOptions options) const {
  if (auto err = checkCounts(inputs.size(), outputs.size()))
    return err;

  llvm::SmallVector<void *, 8> buffers;
  // No heap allocation on the success path: runs of small graphs are
  // dominated by this overhead.
  llvm::SmallVector<Span, 8> spans;
  size_t numInputs = inputs.size();
  auto describe = [&](size_t index) {
    return index < numInputs ? fmt::format("input {}", index)
                             : fmt::format("output {}", index - numInputs);
  };
  auto check = [&](const TensorRef &ref, const TensorType &expected,
                   llvm::StringRef kind, size_t i) -> llvm::Error {
    if (auto err = checkType(ref.type, i, kind == "input"))
      return err;
    size_t bytes = expected.sizeInBytes();
    auto address = reinterpret_cast<uintptr_t>(ref.data);
    if (bytes && !ref.data)
      return makeError("{} {} of graph @{} is null", kind.str(), i, graphName);
    if (address % dataTypeSize(expected.elementType))
      return makeError("{} {} of graph @{} is not aligned to its {}-byte "
                       "elements",
                       kind.str(), i, graphName,
                       dataTypeSize(expected.elementType));
    if (bytes)
      spans.push_back({address, address + bytes, buffers.size()});
    buffers.push_back(ref.data);
    return llvm::Error::success();
  };
  for (size_t i = 0; i < inputs.size(); ++i)
    if (auto err = check(inputs[i], inputTypes[i], "input", i))
      return err;
  for (size_t j = 0; j < outputs.size(); ++j)
    if (auto err = check(outputs[j], outputTypes[j], "output", j))
      return err;

  // The kernels assume no two buffers share a byte (noalias).
  std::sort(spans.begin(), spans.end(),
            [](const Span &a, const Span &b) { return a.begin < b.begin; });
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      return makeError("{} and {} of graph @{} overlap",
                       describe(std::min(spans[i - 1].index, spans[i].index)),
                       describe(std::max(spans[i - 1].index, spans[i].index)),
                       graphName);

  uint64_t bytes = workspaceSize;
  for (const Span &span : spans)
    bytes += span.end - span.begin;
  if (bytes > options.limits.runBytes)
    return makeError("graph @{} needs {} bytes for its buffers and workspace, "
                     "more than the run's limit of {} bytes",
                     graphName, bytes, options.limits.runBytes);
  void *workspace = nullptr;
  if (workspaceSize && !(workspace = threadWorkspace(workspaceSize)))
    return makeError("cannot allocate the {}-byte workspace of graph @{}",
                     workspaceSize, graphName);
  buffers.push_back(workspace);
  buffers.append(dataPointers.begin(), dataPointers.end());
  // Runtime functions that cannot do their work (an allocation failed)
  // report it here instead of stopping the process (RunFailure.h).
  RunFailure failure;
  {
    RunFailureScope scope(&failure);
    if (threaded)
      runWithThreads(options.threads, [&] { entry(buffers.data()); });
    else
      entry(buffers.data());
  }
  if (failure.failed())
    return makeError("graph @{} could not run: {} (its outputs are undefined)",
                     graphName, failure.message());
  return llvm::Error::success();
}

llvm::Expected<std::vector<Tensor>>
CompiledGraph::run(llvm::ArrayRef<Tensor> inputs, RunOptions options) const {
  std::vector<Tensor> outputs;
  uint64_t used = workspaceSize;
  for (const Tensor &t : inputs)
    used += t.sizeInBytes();
  for (size_t i = 0; i < outputTypes.size(); ++i) {
    std::string what = fmt::format("output {} of graph @{}", i, graphName);
    if (auto err = options.limits.reserve(outputTypes[i], what, used))
      return err;
    auto output = Tensor::allocate(outputTypes[i]);
    if (!output)
      return output.takeError();
    outputs.push_back(std::move(*output));
  }
  llvm::SmallVector<TensorRef, 8> inputRefs, outputRefs;
  for (const Tensor &t : inputs)
    inputRefs.push_back({t.getType(), const_cast<void *>(t.data())});
  for (Tensor &t : outputs)
    outputRefs.push_back(t.ref());
  if (auto err = run(inputRefs, outputRefs, options))
    return err;
  return outputs;
}

} // namespace qjit
