//===- Inputs.h - The tensors a --run feeds a graph -------------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_INPUTS_H
#define QJIT_TOOLS_IROPT_INPUTS_H

#include "qjit/IR/Tensor.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace qjit {

// Deterministic pseudo-random values of `type` for input `index`: floats
// uniform in [-4, 4), signed integers in [-8, 7], unsigned in [0, 15], Bool 0
// or 1. Input i depends only on (seed, i), not on which other inputs are
// given as files.
llvm::Expected<Tensor> randomTensor(const TensorType &type, uint64_t seed,
                                    size_t index);

// Reads input `index` from a .npy file; its type and shape must be exactly
// `type`, else the error names the input, the expected and the actual type.
llvm::Expected<Tensor> readInputTensor(const TensorType &type, size_t index,
                                       llvm::StringRef path);

// The inputs of a graph with input types `types`: the first files.size()
// from the files, the rest random. Each is checked against `limits` (and
// counted in `used`) before it is allocated or read.
llvm::Expected<std::vector<Tensor>>
prepareInputs(llvm::ArrayRef<TensorType> types,
              llvm::ArrayRef<std::string> files, uint64_t seed,
              const MemoryLimits &limits, uint64_t &used);

// The .npy files of `outputs`: (DIR/output<i>.npy, its contents).
std::vector<std::pair<std::string, std::string>>
npyOutputFiles(llvm::StringRef dir, llvm::ArrayRef<Tensor> outputs);

} // namespace qjit

#endif
