//===- Bundle.h - Ahead-of-time compiled graphs -----------------*- C++ -*-===//
//
// A bundle is graphs compiled ahead of time into an object file that a C
// program links with qjit's runtime library (lib/Runtime, no LLVM), and a C
// header declaring one function per graph:
//
//   int NAME(const void *const *inputs, void *const *outputs, void *workspace);
//
// with the graph's input and output types, shapes and workspace size as
// macros and tables. Data constants are in the object. docs/bundles.md
// describes the files, the calling convention and what a bundle links
// against; the code runs only on CPUs with the features it was compiled for.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_JIT_BUNDLE_H
#define QJIT_JIT_BUNDLE_H

#include "qjit/IR/Graph.h"
#include "qjit/JIT/Jit.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace qjit {

// One file of a bundle: its name in the bundle's directory and its bytes.
struct BundleFile {
  std::string name;
  std::string contents;
};

// `text` made into a C identifier: characters other than letters, digits
// and '_' become '_'; a name that then starts with a digit or '_', or with
// qjit's own prefixes "qjit_"/"QJIT_", gets "graph_" in front; a C or C++
// keyword gets '_' after it. An empty name becomes "graph".
std::string bundleCName(llvm::StringRef text);

// Verifies, transforms (JitOptions::defaultPasses), lowers and optimizes
// `graphs` for `options`' CPU, features and -O level, as Jit::compile does,
// into the files of bundle `name`
// (bundleCName(name) + ".o" and ".h"). Each graph's function is named
// bundleCName(graph name); two graphs with the same C name are an error.
llvm::Expected<std::vector<BundleFile>>
compileBundle(llvm::ArrayRef<const Graph *> graphs, llvm::StringRef name,
              const JitOptions &options);

// Writes `files` into directory `dir`, all or none: a new directory is
// written under a temporary name and renamed into place; into an existing
// one each file is written beside its destination and all are renamed once
// every one is complete. The parent of `dir` must exist.
llvm::Error writeBundle(llvm::ArrayRef<BundleFile> files, llvm::StringRef dir);

// compileBundle, then writeBundle.
llvm::Error emitBundle(llvm::ArrayRef<const Graph *> graphs,
                       llvm::StringRef dir, llvm::StringRef name,
                       const JitOptions &options = {});

} // namespace qjit

#endif
