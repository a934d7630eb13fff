//===- DiskCacheReport.h - What iropt says about the disk cache -*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_DISKCACHEREPORT_H
#define QJIT_TOOLS_IROPT_DISKCACHEREPORT_H

#include "qjit/JIT/Jit.h"
#include "llvm/Support/raw_ostream.h"
#include <string>

namespace qjit {

class DiskCacheReporter {
public:
  // Given the Jit's disk cache counters before and after one compile:
  // warns on `errs` about an entry it ignored, and about the first entry it
  // could not write (once per process: an unwritable directory would say so
  // for every graph). Returns the --time-compile line, "compile-cache: hit"
  // or "compile-cache: miss" (empty when there is no disk cache).
  std::string report(const DiskCacheStats &before, const DiskCacheStats &after,
                     llvm::raw_ostream &errs);

private:
  bool warnedWriteFailure = false;
};

} // namespace qjit

#endif
