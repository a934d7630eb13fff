//===- IntegerRuntime.h - Integer kernels for JIT-compiled code -*- C++ -*-===//
#ifndef QJIT_LIB_JIT_INTEGERRUNTIME_H
#define QJIT_LIB_JIT_INTEGERRUNTIME_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"

namespace qjit {

// Defines the routines QLinearMatMul and QLinearConv2D lower to
// (lib/Runtime/QGemm.h) in `jit`'s main JITDylib.
llvm::Error addIntegerRuntime(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
