//===- CodeGen.h - Lowering a graph to LLVM IR ------------------*- C++ -*-===//
//
// The kernels' C ABI. A graph @g with n inputs and m outputs lowers to
//
//   extern "C" void <entry>(void *const *buffers);
//
// buffers[0 .. n)      the inputs, in order, read only
// buffers[n .. n+m)    the outputs, in order, fully written
// buffers[n+m]         the workspace: workspaceSize bytes, 64-byte aligned,
//                      holding every intermediate value (may be null if 0)
// buffers[n+m+1+k]     the bytes of LoweredGraph::data[k] (data constants,
//                      read only, 64-byte aligned as DenseData keeps them)
//
// Each buffer is dense, row-major (C order), of the graph's static type.
// Buffers must not overlap (CompiledGraph::run checks this).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_CODEGEN_CODEGEN_H
#define QJIT_CODEGEN_CODEGEN_H

#include "qjit/IR/Graph.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
}

namespace qjit {

struct LoweredGraph {
  std::unique_ptr<llvm::Module> module;
  std::string entryName;
  uint64_t workspaceSize = 0; // bytes
  // The data constants' bytes, which the code does not contain: the caller
  // passes their addresses after the workspace and keeps them alive while
  // the code may run. Equal bytes are passed once.
  std::vector<std::shared_ptr<const DenseData>> data;
};

// Lowers a verified graph. `tm` gives the data layout and target triple.
llvm::Expected<LoweredGraph> lowerGraph(const Graph &graph,
                                        llvm::LLVMContext &context,
                                        const llvm::TargetMachine &tm,
                                        llvm::StringRef entryName);

// The shared library (glibc's libmvec.so.1) whose vector math functions
// optimized code for `tm` may call, or "" if none: loops calling exp, log,
// pow, tanh or erf vectorize to calls of its _ZGV* variants.
llvm::StringRef vectorMathLibrary(const llvm::TargetMachine &tm);

// Runs LLVM's standard pipeline at -O<level> (0..3) with the target's cost
// model (needed for vectorization). From -O1 it first calls
// decideKernelInlining.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                    unsigned optLevel);

// Whether the kernels of a lowered `module` are too many to inline into its
// entry: each is then optimized on its own, so the module may be cut into
// parts optimized apart (lib/JIT/SplitCompile.h).
bool keepsKernelsApart(const llvm::Module &module);

// Marks each kernel of a lowered `module` to be inlined into the entry, or
// to stay apart (keepsKernelsApart), in which case the entry, a list of
// calls, is left unoptimized. Calling it again changes nothing.
void decideKernelInlining(llvm::Module &module);

} // namespace qjit

#endif
