//===- BlasRuntime.h - BLAS routines for JIT-compiled code ------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_BLASRUNTIME_H
#define QJIT_LIB_JIT_BLASRUNTIME_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"

namespace qjit {

// Defines the CBLAS routines that float MatMul and Conv2D lower to
// (cblas_sgemm, cblas_dgemm) in `jit`'s main JITDylib as the addresses of
// this process's OpenBLAS, so they resolve however the program was linked
// or loaded (no reliance on dlsym of the global scope). The first call also
// limits OpenBLAS to one thread for the whole process: large products are
// split into bands by the kernels themselves, each band one call on one of
// the run's threads (ParallelRuntime.h).
llvm::Error addBlasRuntime(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
