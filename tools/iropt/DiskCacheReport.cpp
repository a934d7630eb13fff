//===- DiskCacheReport.cpp ------------------------------------------------===//
#include "DiskCacheReport.h"
#include "llvm/Support/WithColor.h"

namespace qjit {

std::string DiskCacheReporter::report(const DiskCacheStats &before,
                                      const DiskCacheStats &after,
                                      llvm::raw_ostream &errs) {
  // Rejections come before the miss they cause; the write after it.
  if (after.rejected != before.rejected ||
      (after.writeFailures != before.writeFailures && !warnedWriteFailure)) {
    llvm::WithColor::warning(errs, "iropt")
        << "compile cache: " << after.lastProblem << '\n';
    warnedWriteFailure |= after.writeFailures != before.writeFailures;
  }
  if (after.hits != before.hits)
    return "compile-cache: hit\n";
  if (after.misses != before.misses)
    return "compile-cache: miss\n";
  return "";
}

} // namespace qjit
