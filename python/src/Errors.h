//===- Errors.h - llvm::Error to qjit.Error ---------------------*- C++ -*-===//
//
// Every failure of the C++ API reaches Python as qjit.Error (a ValueError)
// whose text is what iropt prints for it: FILE:LINE:COL: error: message with
// the source line and a caret where the error has a location, else
// "error: message".
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_PYTHON_ERRORS_H
#define QJIT_PYTHON_ERRORS_H

#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"
#include <pybind11/pybind11.h>
#include <string>

namespace qjit::python {

// Thrown by the bindings; pybind11 turns it into qjit.Error.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};


// The text of `err` as iropt prints it; `srcMgr` holds the buffers its
// locations point into (none for graphs built through the API).
std::string renderError(llvm::Error err, llvm::SourceMgr *srcMgr = nullptr);

// Throws `err`, if it is an error, as qjit.Error.
void check(llvm::Error err, llvm::SourceMgr *srcMgr = nullptr);

template <typename T>
T unwrap(llvm::Expected<T> value, llvm::SourceMgr *srcMgr = nullptr) {
  if (!value)
    throw Error(renderError(value.takeError(), srcMgr));
  return std::move(*value);
}

} // namespace qjit::python

#endif
