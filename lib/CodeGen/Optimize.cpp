//===- Optimize.cpp - LLVM's standard pipeline for the target -------------===//
#include "Kernel.h"
#include "VectorLibrary.h"
#include "qjit/CodeGen/CodeGen.h"
#include "Parallel.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/IPO/AlwaysInliner.h"
#include "llvm/Transforms/Scalar/AlignmentFromAssumptions.h"
#include "llvm/Transforms/Scalar/LoopUnrollPass.h"

using namespace llvm;

namespace qjit {

namespace {

// Kernels (GraphLowering.cpp) are internal functions the entry calls.
bool isKernel(const Function &fn) {
  return fn.hasLocalLinkage() && !fn.isDeclaration() && !fn.use_empty() &&
         all_of(fn.users(), [&](const User *user) {
           auto *call = dyn_cast<CallInst>(user);
           return call && call->getCalledFunction() == &fn;
         });
}

// The most kernels a graph may have and still be optimized as one function.
// Past it, compile time grew faster than the op count (a chain of 1000
// elementwise ops took 7 s at -O2 inlined, GVN and alias queries over one
// huge function); kept apart, each kernel is optimized alone, and a kernel
// shared by equal ops (a repeated layer) once.
constexpr size_t kMaxInlinedKernels = 32;

SmallVector<Function *> kernelsOf(const llvm::Module &module) {
  SmallVector<Function *> kernels;
  for (const Function &fn : module)
    if (isKernel(fn))
      kernels.push_back(const_cast<Function *>(&fn));
  return kernels;
}

} // namespace

bool keepsKernelsApart(const llvm::Module &module) {
  return kernelsOf(module).size() > kMaxInlinedKernels;
}

// Each kernel called once is inlined into the entry before the
// simplification pipeline (in small graphs): simplified once, as part of the
// entry, instead of once alone and again after the CGSCC inliner has put it
// into the entry (about 10% of a compile; the noalias parameters become the
// same scoped noalias metadata either way). Functions whose address is taken
// (parallel loop bodies) stay. So do kernels shared by several ops, kernels
// of large graphs, and kernels with many buffers (kManyKernelBuffers).
//
// An entry that inlines no kernel is a list of calls, with nothing to
// optimize: it is left optnone, so that its instructions are selected by
// FastISel. SelectionDAG's scheduling of one block of thousands of loads
// and calls (a graph with thousands of inputs) grew quadratically.
void decideKernelInlining(llvm::Module &module) {
  SmallVector<Function *> kernels = kernelsOf(module);
  bool inlineAny = kernels.size() <= kMaxInlinedKernels;
  bool inlined = false;
  for (Function *fn : kernels) {
    // Kernels of many buffers are made NoInline (GraphLowering.cpp).
    bool inlines = inlineAny && fn->hasOneUse() &&
                   !fn->hasFnAttribute(llvm::Attribute::NoInline);
    fn->addFnAttr(inlines ? llvm::Attribute::AlwaysInline
                          : llvm::Attribute::NoInline);
    inlined |= inlines;
  }
  if (inlined || kernels.empty())
    return;
  for (Function &fn : module)
    if (!fn.isDeclaration() && !fn.hasLocalLinkage()) {
      fn.addFnAttr(llvm::Attribute::OptimizeNone);
      fn.addFnAttr(llvm::Attribute::NoInline);
    }
}

void optimizeModule(llvm::Module &module, TargetMachine &tm,
                    unsigned optLevel) {
  // Vectorization is off in PipelineTuningOptions by default; clang turns
  // it on from -O2, and so do we.
  PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  tuning.LoopInterleaving = optLevel >= 1;
  // Partial and runtime unrolling only at -O3. After the vectorizer has
  // interleaved a loop, LLVM's unroller unrolls it again (4x on Zen 3): code
  // generation takes twice as long, and loops bound by memory gain nothing
  // (the kernels that want unrolling, MatMul and the Conv2D taps, unroll
  // themselves). Below -O3 the pipeline runs without the unroller, and full
  // unrolling of loops with few iterations (the rows of a small broadcast,
  // a short vector loop) is put back at its two places. A 4-op elementwise
  // graph compiles about a third faster (CompileBench).
  bool partialUnrolling = optLevel >= 3;
  tuning.LoopUnrolling = partialUnrolling;

  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  // The TargetMachine gives the cost model (TargetTransformInfo): without
  // it the vectorizer sees no vector registers.
  // optnone (an entry that inlines nothing, a Concat of many operands) is
  // honored by the IR pipeline only through this instrumentation; without
  // it only code generation skips such functions.
  PassInstrumentationCallbacks instrumentation;
  OptNoneInstrumentation optNone(/*DebugLogging=*/false);
  optNone.registerCallbacks(instrumentation);
  PassBuilder pb(&tm, tuning, std::nullopt, &instrumentation);
  if (optLevel >= 1 && !partialUnrolling) {
    // In the simplification pipeline, right after the full unroll that
    // LoopUnrolling = false restricts to loops that ask for it.
    pb.registerLoopOptimizerEndEPCallback(
        [](LoopPassManager &lpm, OptimizationLevel level) {
          lpm.addPass(LoopFullUnrollPass(level.getSpeedupLevel()));
        });
    // After vectorization: full unrolling only, no partial or runtime.
    pb.registerOptimizerLastEPCallback(
        [](ModulePassManager &mpm, OptimizationLevel level) {
          mpm.addPass(createModuleToFunctionPassAdaptor(
              LoopUnrollPass(LoopUnrollOptions(level.getSpeedupLevel())
                                 .setPartial(false)
                                 .setRuntime(false))));
        });
  }
  if (optLevel >= 1)
    decideKernelInlining(module);
  if (optLevel >= 1) {
    pb.registerPipelineEarlySimplificationEPCallback(
        [](ModulePassManager &mpm, OptimizationLevel) {
          mpm.addPass(AlwaysInlinerPass(/*InsertLifetimeIntrinsics=*/false));
        });
    // Alignment assumptions (streaming loops, Parallel.h) applied to the
    // vector loads and stores the vectorizer has made.
    pb.registerOptimizerLastEPCallback(
        [](ModulePassManager &mpm, OptimizationLevel) {
          mpm.addPass(
              createModuleToFunctionPassAdaptor(AlignmentFromAssumptionsPass()));
        });
  }
  // Registered before the defaults: the vector variants of libm functions
  // (glibc's libmvec) that LoopVectorize may call.
  TargetLibraryInfoImpl tlii(tm.getTargetTriple());
  addVectorLibrary(tlii, tm);
  fam.registerPass([&] { return TargetLibraryAnalysis(tlii); });
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);

  OptimizationLevel level = optLevel == 0   ? OptimizationLevel::O0
                            : optLevel == 1 ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  ModulePassManager mpm = optLevel == 0
                              ? pb.buildO0DefaultPipeline(level)
                              : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
  markStreamingStores(module);
}

} // namespace qjit
