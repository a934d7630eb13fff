//===- BundleHeader.cpp - A bundle's C header -----------------------------===//
//
// For each graph: its function's prototype, macros a C program can size
// static buffers with (counts, types, shapes, bytes, the workspace size),
// and tables of the same facts for code that walks the inputs and outputs.
// Declarations shared by every bundle (the element-type enum, the table
// type, qjit_set_max_threads) sit under one guard so that the headers of
// several bundles can be included together.
//
//===----------------------------------------------------------------------===//
#include "BundleParts.h"
#include "TargetSelection.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/raw_ostream.h"
#include <fmt/format.h>

using namespace llvm;

namespace qjit {
namespace {

constexpr const char *kCommonDeclarations = R"(#ifndef QJIT_BUNDLE_COMMON_DECLARATIONS
#define QJIT_BUNDLE_COMMON_DECLARATIONS
/* The element types of inputs and outputs. */
typedef enum qjit_element_type {
  QJIT_FLOAT32, QJIT_FLOAT64, QJIT_INT8, QJIT_UINT8,
  QJIT_INT16, QJIT_INT32, QJIT_INT64,
  QJIT_BOOL /* one byte, 0 or 1 */
} qjit_element_type;

/* One input or output: dense, row-major (C order). */
typedef struct qjit_tensor_info {
  qjit_element_type type;
  size_t element_size;  /* bytes, also the alignment its pointer needs */
  int rank;
  const int64_t *shape; /* rank sizes (NULL for a scalar) */
  int64_t elements;     /* the product of the sizes (1 for a scalar) */
  size_t bytes;         /* elements * element_size */
} qjit_tensor_info;

/* The alignment, in bytes, of the workspace a graph's function is given. */
#define QJIT_WORKSPACE_ALIGNMENT 64

/* In qjit's runtime library: caps the threads the graphs' parallel loops
   (large tensors only) use from now on at `threads`; 0 (the default): all
   cores. Results are the same for any count. */
void qjit_set_max_threads(unsigned threads);
#endif
)";

StringRef enumName(DataType type) {
  switch (type) {
  case DataType::Float32: return "QJIT_FLOAT32";
  case DataType::Float64: return "QJIT_FLOAT64";
  case DataType::Int8: return "QJIT_INT8";
  case DataType::UInt8: return "QJIT_UINT8";
  case DataType::Int16: return "QJIT_INT16";
  case DataType::Int32: return "QJIT_INT32";
  case DataType::Int64: return "QJIT_INT64";
  case DataType::Bool: return "QJIT_BOOL";
  }
  llvm_unreachable("unknown data type");
}

StringRef cType(DataType type) {
  switch (type) {
  case DataType::Float32: return "float";
  case DataType::Float64: return "double";
  case DataType::Int8: return "int8_t";
  case DataType::UInt8: return "uint8_t";
  case DataType::Int16: return "int16_t";
  case DataType::Int32: return "int32_t";
  case DataType::Int64: return "int64_t";
  case DataType::Bool: return "uint8_t";
  }
  llvm_unreachable("unknown data type");
}

// `text` safe inside a C comment.
std::string commentSafe(StringRef text) {
  std::string safe;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    safe += isPrint(c) ? c : '?';
    if (c == '*' && i + 1 < text.size() && text[i + 1] == '/')
      safe += ' '; // "*/" would end the comment
  }
  return safe;
}

// `words` as comment lines " * ..." of at most about 78 columns.
void wrapComment(raw_ostream &os, ArrayRef<std::string> words) {
  std::string line = " *";
  for (const std::string &word : words) {
    if (line.size() + 1 + word.size() > 78 && line != " *") {
      os << line << '\n';
      line = " *";
    }
    line += ' ' + word;
  }
  os << line << '\n';
}

void emitTensors(raw_ostream &os, const BundleGraph &g,
                 ArrayRef<ValueId> values, StringRef kind) {
  StringRef name = g.cName;
  std::string upper = kind.upper(), lower = kind.lower();
  for (size_t i = 0; i < values.size(); ++i) {
    const TensorType &type = g.graph->getType(values[i]);
    std::string prefix = fmt::format("{}_{}{}", name.str(), upper, i);
    os << fmt::format("/* {} {}: {} */\n", lower, i, type.toString());
    os << fmt::format("#define {}_TYPE {}\n", prefix, enumName(type.elementType).str());
    os << fmt::format("#define {}_CTYPE {}\n", prefix, cType(type.elementType).str());
    os << fmt::format("#define {}_RANK {}\n", prefix, type.rank());
    if (type.rank() > 0)
      os << fmt::format("#define {}_SHAPE {{{}}}\n", prefix,
                        fmt::join(type.shape, ", "));
    os << fmt::format("#define {}_ELEMENTS {}\n", prefix, type.numElements());
    os << fmt::format("#define {}_BYTES {}\n", prefix, type.sizeInBytes());
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const TensorType &type = g.graph->getType(values[i]);
    if (type.rank() > 0)
      os << fmt::format("static const int64_t {}_{}{}_shape[{}] = {{{}}};\n",
                        name.str(), lower, i, type.rank(),
                        fmt::join(type.shape, ", "));
  }
  if (values.empty()) {
    os << fmt::format("static const qjit_tensor_info *const {}_{}s = NULL;\n",
                      name.str(), lower);
    return;
  }
  os << fmt::format("static const qjit_tensor_info {}_{}s[{}] = {{\n",
                    name.str(), lower, values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const TensorType &type = g.graph->getType(values[i]);
    std::string shape =
        type.rank() > 0 ? fmt::format("{}_{}{}_shape", name.str(), lower, i)
                        : "NULL";
    os << fmt::format("  {{{}, {}, {}, {}, {}, {}}},\n",
                      enumName(type.elementType).str(),
                      dataTypeSize(type.elementType), type.rank(), shape,
                      type.numElements(), type.sizeInBytes());
  }
  os << "};\n";
}

void emitGraph(raw_ostream &os, const BundleGraph &g) {
  const Graph &graph = *g.graph;
  StringRef name = g.cName;
  std::vector<std::string> inputs, outputs;
  for (ValueId v : graph.getInputs())
    inputs.push_back(graph.getType(v).toString());
  for (ValueId v : graph.getOutputs())
    outputs.push_back(graph.getType(v).toString());
  os << fmt::format(
      "\n/* Graph @{}: ({}) -> ({})\n"
      " *\n"
      " * inputs[i] points to input i and outputs[j] to output j: dense,\n"
      " * row-major, aligned to their element size, no two overlapping (an\n"
      " * output is fully written). workspace points to {}_WORKSPACE_SIZE\n"
      " * bytes aligned to QJIT_WORKSPACE_ALIGNMENT (may be NULL if that is\n"
      " * 0) that no other call uses at the same time. Returns 0, or -1 with\n"
      " * nothing written when a pointer is NULL or misaligned. */\n",
      commentSafe(graph.getName()), fmt::join(inputs, ", "),
      fmt::join(outputs, ", "), name.str());
  os << fmt::format("int {}(const void *const *inputs, void *const *outputs, "
                    "void *workspace);\n",
                    name.str());
  os << fmt::format("#define {}_NUM_INPUTS {}\n", name.str(), inputs.size());
  os << fmt::format("#define {}_NUM_OUTPUTS {}\n", name.str(), outputs.size());
  os << fmt::format("#define {}_WORKSPACE_SIZE {}\n", name.str(),
                    g.workspaceSize);
  emitTensors(os, g, graph.getInputs(), "input");
  emitTensors(os, g, graph.getOutputs(), "output");
}

} // namespace

std::string bundleHeader(StringRef bundleName, ArrayRef<BundleGraph> graphs,
                         const TargetMachine &tm, unsigned optLevel) {
  std::string text;
  raw_string_ostream os(text);
  std::string guard = "QJIT_BUNDLE_" + bundleName.upper() + "_H";
  os << fmt::format("/* {}.h: the qjit bundle '{}', with {}.o.\n"
                    " * Generated by qjit; do not edit.\n",
                    bundleName.str(), bundleName.str(), bundleName.str());
  os << " *\n";
  std::vector<std::string> words = {
      "Compiled", "at", fmt::format("-O{}", optLevel), "for",
      tm.getTargetTriple().str(), "CPU",
      fmt::format("'{}'", tm.getTargetCPU().str())};
  // The instruction sets the code may use: the CPU's and those --mattr
  // turned on, less those it turned off, with what they imply.
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  std::vector<std::string> enabled;
  for (const SubtargetFeatureKV &kv : sti->getAllProcessorFeatures())
    if (sti->getFeatureBits().test(kv.Value) && changesGeneratedCode(kv.Key))
      enabled.push_back(kv.Key);
  if (!enabled.empty())
    words.push_back("with features");
  for (std::string &f : enabled)
    words.push_back(std::move(f));
  words.back() += ".";
  for (StringRef w : {"The", "code", "runs", "only", "on", "CPUs", "that",
                      "have", "all", "of", "them", "(docs/bundles.md).",
                      "Link", "with", "qjit's",
                      "runtime", "library", "(libQjitRuntime.a),", "oneDNN,",
                      "OpenBLAS,", "oneTBB,", "libstdc++", "and", "libm."})
    words.push_back(w.str());
  wrapComment(os, words);
  os << " */\n";
  os << fmt::format("#ifndef {0}\n#define {0}\n\n", guard);
  os << "#include <stddef.h>\n#include <stdint.h>\n\n";
  os << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << kCommonDeclarations;
  os << fmt::format("\n#define {}_TARGET_CPU \"{}\"\n", bundleName.str(),
                    tm.getTargetCPU().str());
  for (const BundleGraph &g : graphs)
    emitGraph(os, g);
  os << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n";
  os << fmt::format("#endif /* {} */\n", guard);
  return text;
}

} // namespace qjit
