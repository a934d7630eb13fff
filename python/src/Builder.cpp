//===- Builder.cpp - qjit.Builder and qjit.Value --------------------------===//
//
// The builder has one method per op of Ops.def, made from the same X-macro
// list the C++ code is generated from: a new op is a new method, with its
// summary and attributes as its docstring.
//
//===----------------------------------------------------------------------===//
#include "Arrays.h"
#include "Attributes.h"
#include "Bindings.h"
#include "Errors.h"
#include "Handles.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/Verifier.h"
#include <pybind11/stl.h>

namespace py = pybind11;

namespace qjit::python {
namespace {

class PyBuilder {
public:
  explicit PyBuilder(const std::string &name) {
    auto owner = std::make_shared<ModuleHandle>();
    graph = {owner, &owner->module.addGraph(Graph(name))};
  }

  ValueHandle input(py::handle dtype, const std::vector<int64_t> &shape) {
    TensorType type{parseElementType(dtype), Shape(shape.begin(), shape.end())};
    check(type.check());
    return {graph, Builder(graph.get()).addInput(std::move(type))};
  }

  // A data constant holding a copy of `values` (anything numpy.asarray
  // takes; `dtype` converts it first).
  ValueHandle constant(py::handle values, py::handle dtype) {
    py::module_ numpy = py::module_::import("numpy");
    py::object converted =
        dtype.is_none() ? numpy.attr("asarray")(values)
                        : numpy.attr("asarray")(
                              values, numpyDType(parseElementType(dtype)));
    ArrayArg arg = ArrayArg::from(converted, "the constant");
    arg.prepare();
    llvm::StringRef bytes(static_cast<const char *>(arg.array.data()),
                          arg.array.nbytes());
    auto data = unwrap(DenseData::copy(bytes));
    return {graph, unwrap(Builder(graph.get()).constant(arg.type, data))};
  }

  py::object create(OpKind kind, const py::args &operands,
                    const py::kwargs &attrs) {
    std::vector<ValueId> ids;
    for (py::handle operand : operands)
      ids.push_back(valueOf(kind, operand));
    AttrList list;
    for (auto [key, value] : attrs) {
      std::string name = key.cast<std::string>();
      list.push_back({name, toAttribute(kind, name, value)});
    }
    auto results =
        unwrap(Builder(graph.get()).createMulti(kind, ids, std::move(list)));
    if (results.size() == 1)
      return py::cast(ValueHandle{graph, results.front()});
    py::tuple values(results.size());
    for (size_t i = 0; i < results.size(); ++i)
      values[i] = py::cast(ValueHandle{graph, results[i]});
    return values;
  }

  // Sets the outputs and verifies the graph.
  GraphHandle build(const py::args &outputs) {
    std::vector<ValueId> ids;
    for (py::handle output : outputs)
      ids.push_back(valueOf(std::nullopt, output));
    graph.get().setOutputs(ids);
    check(verifyGraph(graph.get()));
    return graph;
  }

private:
  ValueId valueOf(std::optional<OpKind> kind, py::handle object) const {
    std::string where = kind ? "'" + opName(*kind).str() + "'" : "build()";
    if (!py::isinstance<ValueHandle>(object))
      throw Error("error: " + where + ": " +
                  py::repr(object).cast<std::string>() +
                  " is not a qjit.Value");
    const ValueHandle &value = object.cast<const ValueHandle &>();
    if (value.graph.graph != graph.graph)
      throw Error("error: " + where + ": t" + std::to_string(value.id) +
                  " is a value of graph @" +
                  value.graph.get().getName().str() + ", not of @" +
                  graph.get().getName().str());
    return value.id;
  }

  GraphHandle graph;
};

// "Add(*operands) -> Value" with the op's summary and attributes.
std::string opDoc(OpKind kind) {
  const OpInfo &info = getOpInfo(kind);
  std::string doc = info.name.str() + "(*operands";
  for (const AttrSpec &attr : info.attributes) {
    doc += ", " + attr.name.str();
    if (attr.defaultValue)
      doc += "=" + attr.defaultValue->toString();
  }
  doc += ")\n\n" + info.summary.str() + ". Operands: " +
         std::to_string(info.minOperands);
  if (info.maxOperands != info.minOperands)
    doc += " to " + std::to_string(info.maxOperands);
  doc += ". Returns a Value, or a tuple of them for several results.";
  return doc;
}

void addOpMethod(py::class_<PyBuilder> &cls, OpKind kind) {
  cls.def(
      opName(kind).str().c_str(),
      [kind](PyBuilder &b, const py::args &operands, const py::kwargs &attrs) {
        return b.create(kind, operands, attrs);
      },
      opDoc(kind).c_str());
}

} // namespace

void bindBuilder(py::module_ &m) {
  py::class_<ValueHandle>(m, "Value", "A value of a graph being built.")
      .def_property_readonly("id", [](const ValueHandle &v) { return v.id; })
      .def_property_readonly("dtype",
                             [](const ValueHandle &v) {
                               return numpyDType(
                                   v.graph.get().getType(v.id).elementType);
                             })
      .def_property_readonly("shape",
                             [](const ValueHandle &v) {
                               const Shape &s = v.graph.get().getType(v.id).shape;
                               return py::tuple(py::cast(
                                   std::vector<int64_t>(s.begin(), s.end())));
                             })
      .def("__repr__", [](const ValueHandle &v) {
        return "<qjit.Value t" + std::to_string(v.id) + ": " +
               v.graph.get().getType(v.id).toString() + ">";
      });

  py::class_<PyBuilder> cls(
      m, "Builder",
      "Builds a graph op by op, inferring result types; a method per op, "
      "whose keyword arguments are the op's attributes.");
  cls.def(py::init<const std::string &>(), py::arg("name"))
      .def("input", &PyBuilder::input, py::arg("dtype"), py::arg("shape"),
           "A new graph input.")
      .def("constant", &PyBuilder::constant, py::arg("values"),
           py::arg("dtype") = py::none(),
           "A Constant holding a copy of `values` (an array).")
      .def("op", [](PyBuilder &b, const std::string &name,
                    const py::args &operands, const py::kwargs &attrs) {
        std::optional<OpKind> kind = parseOpKind(name);
        if (!kind)
          throw Error("error: unknown op '" + name + "'");
        return b.create(*kind, operands, attrs);
      }, py::arg("name"), "The op called `name`, as its method would.")
      .def("build", &PyBuilder::build,
           "Sets the graph's outputs, verifies it and returns it.");
  // The docstrings name the attributes; pybind11's (*args, **kwargs)
  // signature would not.
  py::options options;
  options.disable_function_signatures();
#define QJIT_OP(Name, Category, MinOperands, MaxOperands, Traits, Summary)     \
  addOpMethod(cls, OpKind::Name);
#include "qjit/IR/Ops.def"
}

} // namespace qjit::python
