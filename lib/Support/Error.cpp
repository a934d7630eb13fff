//===- Error.cpp ----------------------------------------------------------===//
#include "qjit/Support/Error.h"

namespace qjit {

char LocatedError::ID = 0;

void LocatedError::log(llvm::raw_ostream &os) const { os << message; }

std::error_code LocatedError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error attachLocation(llvm::Error err, llvm::SMLoc loc,
                           llvm::StringRef prefix) {
  llvm::Error result = llvm::Error::success();
  llvm::handleAllErrors(
      std::move(err),
      [&](const LocatedError &e) {
        llvm::SMLoc where = e.getLoc().isValid() ? e.getLoc() : loc;
        result = llvm::joinErrors(
            std::move(result),
            llvm::make_error<LocatedError>(where, prefix.str() + e.getMessage()));
      },
      [&](const llvm::ErrorInfoBase &e) {
        result = llvm::joinErrors(
            std::move(result),
            llvm::make_error<LocatedError>(loc, prefix.str() + e.message()));
      });
  return result;
}

} // namespace qjit
