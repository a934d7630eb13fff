//===- BundleParts.h - The pieces of an AOT bundle --------------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_BUNDLEPARTS_H
#define QJIT_LIB_JIT_BUNDLEPARTS_H

#include "qjit/CodeGen/CodeGen.h"
#include "qjit/IR/Graph.h"
#include "llvm/Target/TargetMachine.h"
#include <string>

namespace qjit {

// A buffer the bundle's entry must be given aligned to this many bytes:
// the workspace (CodeGen.h's ABI).
constexpr unsigned kBundleWorkspaceAlignment = 64;

// What the header says about one graph of a bundle.
struct BundleGraph {
  const Graph *graph;
  std::string cName;      // its function's name, a C identifier
  uint64_t workspaceSize; // bytes
};

// Adds to `lowered`'s module (optimized, not yet compiled) the bytes of its
// data constants as private constant globals and the C entry
//
//   int <cName>(const void *const *inputs, void *const *outputs,
//               void *workspace)
//
// which checks the pointers (0, or -1 with nothing written when one is
// null or misaligned), builds CodeGen.h's buffer table on its stack and
// calls the lowered entry, made internal.
void addBundleEntry(const Graph &graph, LoweredGraph &lowered,
                    llvm::StringRef cName);

// The C header of bundle `bundleName` (a C identifier) holding `graphs`,
// compiled for `tm`.
std::string bundleHeader(llvm::StringRef bundleName,
                         llvm::ArrayRef<BundleGraph> graphs,
                         const llvm::TargetMachine &tm, unsigned optLevel);

} // namespace qjit

#endif
