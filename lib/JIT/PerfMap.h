//===- PerfMap.h - Names of JIT-compiled functions for perf -----*- C++ -*-===//
//
// With QJIT_PERF_MAP set in the environment, every function the JIT links
// is appended to /tmp/perf-<pid>.map ("address size name" lines, perf's
// format for JIT code), so `perf report` names kernels (e.g.
// FusedElementwise.12.chunk) instead of bare addresses.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_JIT_PERFMAP_H
#define QJIT_LIB_JIT_PERFMAP_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"

namespace qjit {

// Adds the map writer to `jit`'s object linking layer when QJIT_PERF_MAP is
// set (and the layer is JITLink's); otherwise does nothing.
void addPerfMapIfRequested(llvm::orc::LLJIT &jit);

} // namespace qjit

#endif
