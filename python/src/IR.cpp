//===- IR.cpp - qjit.parse, qjit.Module, qjit.Graph -----------------------===//
#include "Arrays.h"
#include "Bindings.h"
#include "Errors.h"
#include "Handles.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Import/Onnx.h"
#include "llvm/Support/MemoryBuffer.h"
#include <pybind11/stl.h>

namespace py = pybind11;

namespace qjit::python {
namespace {

// A path (str or os.PathLike) or .qir text: text always has a '{'.
std::optional<std::string> pathOf(py::handle source) {
  py::module_ os = py::module_::import("os");
  if (py::isinstance(source, os.attr("PathLike")))
    return os.attr("fspath")(source).cast<std::string>();
  std::string text = source.cast<std::string>();
  if (text.find('{') == std::string::npos)
    return text;
  return std::nullopt;
}

// Parses and verifies, as iropt does before anything else.
std::shared_ptr<ModuleHandle> parse(py::handle source,
                                    const std::string &name) {
  auto handle = std::make_shared<ModuleHandle>();
  std::optional<std::string> path = pathOf(source);
  if (path && llvm::StringRef(*path).ends_with(".onnx")) {
    handle->module = unwrap(importOnnx(*path));
  } else {
    std::unique_ptr<llvm::MemoryBuffer> buffer;
    if (path) {
      auto file = llvm::MemoryBuffer::getFile(*path, /*IsText=*/true);
      if (!file)
        throw Error("error: cannot read '" + *path +
                    "': " + file.getError().message());
      buffer = std::move(*file);
    } else {
      buffer = llvm::MemoryBuffer::getMemBufferCopy(
          source.cast<std::string>(), name);
    }
    unsigned id =
        handle->sources.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    handle->module = unwrap(parseModule(handle->sources, id), &handle->sources);
  }
  check(verifyModule(handle->module), &handle->sources);
  return handle;
}

GraphHandle graphAt(const std::shared_ptr<ModuleHandle> &m, py::handle key) {
  std::deque<Graph> &graphs = m->module.getGraphs();
  if (py::isinstance<py::str>(key)) {
    std::string name = key.cast<std::string>();
    if (Graph *g = m->module.findGraph(name))
      return {m, g};
    throw py::key_error("no graph @" + name);
  }
  auto index = key.cast<py::ssize_t>();
  auto size = static_cast<py::ssize_t>(graphs.size());
  if (index < 0)
    index += size;
  if (index < 0 || index >= size)
    throw py::index_error("graph index out of range");
  return {m, &graphs[index]};
}

std::string printToString(const std::function<void(llvm::raw_ostream &)> &f) {
  std::string text;
  llvm::raw_string_ostream os(text);
  f(os);
  return os.str();
}

py::list typesOf(const Graph &g, llvm::ArrayRef<ValueId> ids) {
  py::list types;
  for (ValueId id : ids)
    types.append(describeType(g.getType(id)));
  return types;
}

} // namespace

void bindIR(py::module_ &m) {
  py::class_<ModuleHandle, std::shared_ptr<ModuleHandle>>(
      m, "Module", "Graphs read from one .qir file (or ONNX model), or made "
                   "by a Builder; passes add graphs to it.")
      .def("__len__",
           [](const ModuleHandle &h) { return h.module.getGraphs().size(); })
      .def("__getitem__", &graphAt, py::arg("key"),
           "The graph called `key` (str) or at index `key` (int).")
      .def("__contains__",
           [](ModuleHandle &h, const std::string &name) {
             return h.module.findGraph(name) != nullptr;
           })
      .def("__iter__",
           [](const std::shared_ptr<ModuleHandle> &h) {
             py::list graphs;
             for (Graph &g : h->module.getGraphs())
               graphs.append(GraphHandle{h, &g});
             return py::iter(graphs);
           })
      .def_property_readonly("names",
                             [](const ModuleHandle &h) {
                               std::vector<std::string> names;
                               for (const Graph &g : h.module.getGraphs())
                                 names.push_back(g.getName().str());
                               return names;
                             })
      .def("__repr__",
           [](const ModuleHandle &h) {
             std::string names;
             for (const Graph &g : h.module.getGraphs())
               names += (names.empty() ? " @" : ", @") + g.getName().str();
             return "<qjit.Module" + names + ">";
           })
      .def("__str__", [](const ModuleHandle &h) {
        return printToString(
            [&](llvm::raw_ostream &os) { printModule(os, h.module); });
      });

  py::class_<GraphHandle>(m, "Graph", "One graph of a module.")
      .def_property_readonly("name",
                             [](const GraphHandle &g) {
                               return g.get().getName().str();
                             })
      .def_property_readonly(
          "module", [](const GraphHandle &g) { return g.owner; },
          "The module the graph belongs to (passes run on it).")
      .def_property_readonly(
          "input_types",
          [](const GraphHandle &g) {
            return typesOf(g.get(), g.get().getInputs());
          },
          "(dtype, shape) of each input.")
      .def_property_readonly(
          "output_types",
          [](const GraphHandle &g) {
            return typesOf(g.get(), g.get().getOutputs());
          },
          "(dtype, shape) of each output.")
      .def(
          "verify",
          [](const GraphHandle &g) { check(verifyGraph(g.get()), g.sources()); },
          "Raises qjit.Error if the graph breaks a rule.")
      .def("__repr__",
           [](const GraphHandle &g) {
             return "<qjit.Graph @" + g.get().getName().str() + ">";
           })
      .def("__str__", [](const GraphHandle &g) {
        return printToString(
            [&](llvm::raw_ostream &os) { printGraph(os, g.get()); });
      });

  m.def("parse", &parse, py::arg("source"), py::arg("name") = "<string>",
        "Reads .qir text, a .qir file or an .onnx model (a path: str or "
        "os.PathLike) into a verified Module. `name` names text in "
        "messages.");
}

} // namespace qjit::python
