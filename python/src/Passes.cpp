//===- Passes.cpp - qjit.passes -------------------------------------------===//
#include "Bindings.h"
#include "Errors.h"
#include "Handles.h"
#include "qjit/Transforms/PassRegistry.h"
#include <pybind11/stl.h>

namespace py = pybind11;

namespace qjit::python {
namespace {

std::shared_ptr<ModuleHandle> moduleOf(py::handle target) {
  if (py::isinstance<GraphHandle>(target))
    return target.cast<const GraphHandle &>().owner;
  return target.cast<std::shared_ptr<ModuleHandle>>();
}

// Runs `pipeline` ("autodiff,fuse-elementwise") over the module in place.
// Remarks (what a pass left undone, and why) become qjit.Remark warnings.
std::shared_ptr<ModuleHandle> runPasses(py::handle target,
                                        const std::string &pipelineText,
                                        bool verifyEach) {
  std::shared_ptr<ModuleHandle> handle = moduleOf(target);
  PassPipeline pipeline = unwrap(parsePassPipeline(pipelineText));
  pipeline.setVerifyEach(verifyEach);
  std::vector<std::string> remarks;
  pipeline.setRemarkHandler([&](llvm::SMLoc loc, const std::string &text) {
    std::string rendered;
    llvm::raw_string_ostream os(rendered);
    handle->sources.PrintMessage(os, loc, llvm::SourceMgr::DK_Remark, text);
    remarks.push_back(llvm::StringRef(os.str()).rtrim('\n').str());
  });
  llvm::Error err = pipeline.run(handle->module);
  py::object remark = py::module_::import("qjit._qjit").attr("Remark");
  for (const std::string &text : remarks)
    PyErr_WarnEx(remark.ptr(), text.c_str(), 1);
  check(std::move(err), &handle->sources);
  return handle;
}

} // namespace

void bindPasses(py::module_ &m) {
  py::module_ passes = m.def_submodule("passes", "qjit's graph passes.");
  m.attr("Remark") = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "qjit.Remark", "A pass's remark: what it left undone, and why.",
      PyExc_UserWarning, nullptr));
  passes.def("run", &runPasses, py::arg("module"), py::arg("pipeline"),
             py::arg("verify_each") = true,
             "Runs the comma-separated passes in order over `module` (a "
             "Module, or a Graph's module) in place and returns the module. "
             "Graphs a pass adds (autodiff's f_grad) are module[name].");
  passes.def(
      "names",
      [] {
        std::vector<std::pair<std::string, std::string>> list;
        for (const PassInfo &info : registeredPasses())
          list.push_back({info.name.str(), info.description.str()});
        return list;
      },
      "(name, description) of every pass.");
}

} // namespace qjit::python
