//===- Error.h - llvm::Error helpers and located errors ---------*- C++ -*-===//
#ifndef QJIT_SUPPORT_ERROR_H
#define QJIT_SUPPORT_ERROR_H

#include "llvm/Support/Error.h"
#include "llvm/Support/SMLoc.h"
#include <string>

namespace qjit {

// An error about a place in a source buffer. Tools print it as
// FILE:LINE:COL: error: message, with the line and a caret; a loc that is not
// valid (graphs built through the API) prints as a plain error.
class LocatedError : public llvm::ErrorInfo<LocatedError> {
public:
  static char ID;
  LocatedError(llvm::SMLoc loc, std::string message)
      : loc(loc), message(std::move(message)) {}

  llvm::SMLoc getLoc() const { return loc; }
  const std::string &getMessage() const { return message; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

private:
  llvm::SMLoc loc;
  std::string message;
};

// Re-attaches every message of `err` to `loc`, keeping errors that already
// carry a valid location.
llvm::Error attachLocation(llvm::Error err, llvm::SMLoc loc,
                           llvm::StringRef prefix = {});

} // namespace qjit

#endif
