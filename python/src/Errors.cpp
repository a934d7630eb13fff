//===- Errors.cpp ---------------------------------------------------------===//
#include "Errors.h"
#include "Bindings.h"
#include "qjit/Support/Diagnostics.h"
#include "llvm/ADT/StringRef.h"

namespace py = pybind11;

namespace qjit::python {

void bindErrors(py::module_ &m) {
  auto &error = py::register_exception<Error>(m, "Error", PyExc_ValueError);
  error.doc() = "An error of qjit: a graph, a pass, a compile or a run. "
                "Its text is what iropt prints for it.";
}

std::string renderError(llvm::Error err, llvm::SourceMgr *srcMgr) {
  llvm::SourceMgr none;
  std::string text;
  llvm::raw_string_ostream os(text);
  printErrors(os, srcMgr ? *srcMgr : none, std::move(err));
  os.flush();
  return llvm::StringRef(text).rtrim('\n').str();
}

void check(llvm::Error err, llvm::SourceMgr *srcMgr) {
  if (err)
    throw Error(renderError(std::move(err), srcMgr));
}

} // namespace qjit::python
