//===- Jit.cpp - qjit.Jit and qjit.Function -------------------------------===//
//
// A Function runs a CompiledGraph on NumPy arrays. Every check (number of
// arguments, dtypes, shapes, out= arrays) is made before anything runs; the
// GIL is released while the compiled code runs, so Python threads run
// graphs in parallel.
//
//===----------------------------------------------------------------------===//
#include "Arrays.h"
#include "Bindings.h"
#include "Errors.h"
#include "Handles.h"
#include "LargeBuffers.h"
#include "qjit/JIT/Jit.h"
#include <pybind11/stl.h>

namespace py = pybind11;

namespace qjit::python {
namespace {

struct Function {
  std::shared_ptr<const CompiledGraph> compiled;
  std::string name;
  unsigned threads;

  std::string describe(bool input, size_t index) const {
    return std::string(input ? "input " : "output ") + std::to_string(index) +
           " of graph @" + name;
  }

  std::vector<ArrayArg> inputsOf(const py::args &args) const {
    std::vector<ArrayArg> inputs;
    for (size_t i = 0; i < args.size(); ++i)
      inputs.push_back(ArrayArg::from(args[i], describe(true, i)));
    return inputs;
  }

  // The caller's out= arrays: one array, or a sequence of them.
  std::vector<ArrayArg> givenOutputs(py::handle out) const {
    std::vector<ArrayArg> outputs;
    if (py::isinstance<py::array>(out)) {
      outputs.push_back(ArrayArg::from(out, describe(false, 0)));
    } else {
      for (py::handle o : out)
        outputs.push_back(ArrayArg::from(o, describe(false, outputs.size())));
    }
    return outputs;
  }

  py::object call(const py::args &args, const py::kwargs &kwargs) const {
    py::object out = py::none();
    unsigned runThreads = threads;
    for (auto [key, value] : kwargs) {
      std::string name = key.cast<std::string>();
      if (name == "out")
        out = py::reinterpret_borrow<py::object>(value);
      else if (name == "threads")
        runThreads = value.cast<unsigned>();
      else
        throw py::type_error("unexpected keyword argument '" + name + "'");
    }
    std::vector<ArrayArg> inputs = inputsOf(args);
    std::vector<ArrayArg> outputs;
    if (!out.is_none())
      outputs = givenOutputs(out);

    llvm::SmallVector<TensorType, 8> inputTypes, outputTypes;
    for (const ArrayArg &a : inputs)
      inputTypes.push_back(a.type);
    for (const ArrayArg &a : outputs)
      outputTypes.push_back(a.type);
    check(compiled->checkTypes(inputTypes,
                               out.is_none() ? compiled->getOutputTypes()
                                             : llvm::ArrayRef(outputTypes)));
    for (size_t j = 0; j < outputs.size(); ++j)
      outputs[j].checkWritable(describe(false, j));
    for (ArrayArg &a : inputs)
      a.prepare();
    if (out.is_none())
      for (const TensorType &type : compiled->getOutputTypes())
        outputs.push_back(ArrayArg::allocate(type));

    llvm::SmallVector<TensorRef, 8> inputRefs, outputRefs;
    for (const ArrayArg &a : inputs)
      inputRefs.push_back(a.ref());
    for (const ArrayArg &a : outputs)
      outputRefs.push_back(a.ref());
    check([&] {
      py::gil_scoped_release release;
      return compiled->run(inputRefs, outputRefs, RunOptions(runThreads));
    }());

    if (!out.is_none())
      return out;
    if (outputs.size() == 1)
      return std::move(outputs.front().array);
    py::tuple results(outputs.size());
    for (size_t j = 0; j < outputs.size(); ++j)
      results[j] = std::move(outputs[j].array);
    return results;
  }
};

py::list typesOf(llvm::ArrayRef<TensorType> types) {
  py::list list;
  for (const TensorType &t : types)
    list.append(describeType(t));
  return list;
}

struct PyJit {
  std::shared_ptr<Jit> jit;
  unsigned threads;

  Function compile(const GraphHandle &graph) {
    // A copy (cheap: data constants are shared), which no other Python
    // thread can change while the GIL is released.
    Graph copy = graph.get();
    auto compiled = [&] {
      py::gil_scoped_release release;
      return jit->compile(copy);
    }();
    return {unwrap(std::move(compiled), graph.sources()),
            graph.get().getName().str(), threads};
  }
};

} // namespace

void bindJit(py::module_ &m) {
  py::class_<Function>(
      m, "Function",
      "A compiled graph. f(*arrays, out=None, threads=None) returns its "
      "outputs as NumPy arrays (a tuple for several), or writes them into "
      "`out` (an array or a sequence of arrays, returned).")
      .def("__call__", &Function::call)
      .def_property_readonly("name", [](const Function &f) { return f.name; })
      .def("__repr__",
           [](const Function &f) { return "<qjit.Function @" + f.name + ">"; })
      .def_property_readonly("input_types",
                             [](const Function &f) {
                               return typesOf(f.compiled->getInputTypes());
                             })
      .def_property_readonly("output_types", [](const Function &f) {
        return typesOf(f.compiled->getOutputTypes());
      });

  m.def("release_memory", &large_buffers::clear,
        "Unmaps the memory kept for large outputs (the mappings of freed "
        "output arrays, up to 512 MiB) and returns its size in bytes.");

  py::class_<PyJit>(m, "Jit",
                    "One JIT session with its compile cache (thread safe).")
      .def(py::init([](unsigned optLevel, unsigned threads,
                       std::optional<std::string> cpu,
                       std::optional<std::string> features,
                       std::optional<std::string> cacheDir) {
             JitOptions options;
             options.optLevel = optLevel;
             options.cpu = cpu.value_or("");
             options.features = features.value_or("");
             options.cacheDir = cacheDir.value_or("");
             if (optLevel > 3)
               throw Error("error: opt_level must be 0 to 3, got " +
                           std::to_string(optLevel));
             std::shared_ptr<Jit> jit = unwrap(Jit::create(options));
             return PyJit{std::move(jit), threads};
           }),
           py::arg("opt_level") = 2, py::arg("threads") = 0,
           py::arg("cpu") = py::none(), py::arg("features") = py::none(),
           py::arg("cache_dir") = py::none(),
           "opt_level: LLVM -O0..-O3; threads: how many threads a run may "
           "use (0: all cores; a call's threads= overrides it); cpu and "
           "features: the target (default: the host's); cache_dir: a "
           "directory keeping compiled graphs across processes (default: "
           "$QJIT_CACHE_DIR, else none; docs/compile-cache.md).")
      .def("compile", &PyJit::compile, py::arg("graph"),
           "Verifies and compiles `graph` (cached by its structure).")
      .def_property_readonly("cache_size",
                             [](const PyJit &j) { return j.jit->cacheSize(); })
      .def_property_readonly(
          "disk_cache_stats",
          [](const PyJit &j) {
            DiskCacheStats stats = j.jit->diskCacheStats();
            py::dict d;
            d["directory"] = j.jit->getOptions().cacheDir;
            d["hits"] = stats.hits;
            d["misses"] = stats.misses;
            d["rejected"] = stats.rejected;
            d["write_failures"] = stats.writeFailures;
            d["last_problem"] = stats.lastProblem;
            return d;
          },
          "What the disk cache did: hits, misses, rejected entries (then "
          "recompiled), write failures and the last problem.")
      .def_property_readonly("threads",
                             [](const PyJit &j) { return j.threads; });
}

} // namespace qjit::python
