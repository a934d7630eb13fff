//===- Optimize.cpp - LLVM's standard pipeline for the target -------------===//
#include "VectorLibrary.h"
#include "qjit/CodeGen/CodeGen.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Target/TargetMachine.h"

using namespace llvm;

namespace qjit {

void optimizeModule(llvm::Module &module, TargetMachine &tm,
                    unsigned optLevel) {
  // Vectorization is off in PipelineTuningOptions by default; clang turns
  // it on from -O2, and so do we.
  PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  tuning.LoopUnrolling = optLevel >= 1;
  tuning.LoopInterleaving = optLevel >= 1;

  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  // The TargetMachine gives the cost model (TargetTransformInfo): without
  // it the vectorizer sees no vector registers.
  PassBuilder pb(&tm, tuning);
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
}

} // namespace qjit
