//===- Diagnostics.h - Printing and checking located errors -----*- C++ -*-===//
#ifndef QJIT_SUPPORT_DIAGNOSTICS_H
#define QJIT_SUPPORT_DIAGNOSTICS_H

#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

namespace qjit {

// Prints every error in `err` through `srcMgr` (FILE:LINE:COL: error: ...
// with the source line and a caret). Returns true if there was any error.
bool reportErrors(llvm::SourceMgr &srcMgr, llvm::Error err);
// The same text, written to `os` (colored only if `os` is a terminal); the
// Python module's qjit.Error carries it.
bool printErrors(llvm::raw_ostream &os, llvm::SourceMgr &srcMgr,
                 llvm::Error err);

// Collects the errors reported for one buffer and checks them against
// '// expected-error {{text}}' comments in it, as mlir-opt
// -verify-diagnostics does. '@+N' / '@-N' after 'expected-error' moves the
// expected line. Mismatches are reported through the SourceMgr.
class DiagnosticVerifier {
public:
  DiagnosticVerifier(llvm::SourceMgr &srcMgr, unsigned bufferId);
  // Records the errors of `err` instead of printing them.
  void consume(llvm::Error err);
  // Reports unexpected and missing diagnostics; true if all matched.
  bool verify();

private:
  struct Expected {
    llvm::SMLoc commentLoc;
    unsigned line;
    std::string text;
    bool matched = false;
  };
  struct Seen {
    llvm::SMLoc loc;
    std::string message;
  };
  llvm::SourceMgr &srcMgr;
  unsigned bufferId;
  std::vector<Expected> expected;
  std::vector<Seen> seen;
};

} // namespace qjit

#endif
