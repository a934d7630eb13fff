//===- MakeError.h - Errors with fmt-formatted messages ---------*- C++ -*-===//
//
// Internal to qjit's libraries and tools (fmt stays out of the public
// headers): makeError("{} operands", n) and makeLocatedError(loc, ...).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_SUPPORT_MAKEERROR_H
#define QJIT_LIB_SUPPORT_MAKEERROR_H

#include "qjit/Support/Error.h"
#include <fmt/format.h>

namespace qjit {

template <typename... Args>
llvm::Error makeError(fmt::format_string<Args...> format, Args &&...args) {
  return llvm::make_error<llvm::StringError>(
      fmt::format(format, std::forward<Args>(args)...),
      llvm::inconvertibleErrorCode());
}

template <typename... Args>
llvm::Error makeLocatedError(llvm::SMLoc loc, fmt::format_string<Args...> format,
                             Args &&...args) {
  return llvm::make_error<LocatedError>(
      loc, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace qjit

#endif
