//===- Printer.cpp - The canonical .qir text form -------------------------===//
#include "qjit/IR/Printer.h"
#include "qjit/IR/DenseData.h"
#include "llvm/ADT/StringExtras.h"
#include <fmt/format.h>

namespace qjit {

std::string DataNames::nameOf(const std::shared_ptr<const DenseData> &data) {
  if (!data)
    return "<null>";
  auto [begin, end] = byHash.equal_range(data->contentHash());
  for (auto it = begin; it != end; ++it)
    if (blobs[it->second]->sameBytes(*data))
      return fmt::format("w{}", it->second);
  byHash.emplace(data->contentHash(), blobs.size());
  blobs.push_back(data);
  return fmt::format("w{}", blobs.size() - 1);
}

void DataNames::printSection(llvm::raw_ostream &os) const {
  if (blobs.empty())
    return;
  os << "data {\n";
  static constexpr char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < blobs.size(); ++i) {
    os << "  %w" << i << " = \"0x";
    // In chunks: one write per 4 KiB of text, not one per byte.
    char chunk[4096];
    llvm::StringRef bytes = blobs[i]->getBytes();
    size_t used = 0;
    for (unsigned char byte : bytes) {
      chunk[used++] = digits[byte >> 4];
      chunk[used++] = digits[byte & 15];
      if (used == sizeof chunk) {
        os.write(chunk, used);
        used = 0;
      }
    }
    os.write(chunk, used);
    os << "\"\n";
  }
  os << "}\n";
}

namespace {
// Types of values the graph does not know (an unverified graph) print as
// '<unknown>' rather than failing.
std::string typeText(const Graph &graph, ValueId id) {
  return graph.hasValue(id) ? graph.getType(id).toString() : "<unknown>";
}

void printValueList(llvm::raw_ostream &os, llvm::ArrayRef<ValueId> ids) {
  llvm::ListSeparator sep;
  for (ValueId id : ids)
    os << sep << 't' << id;
}
} // namespace

void printOp(llvm::raw_ostream &os, const Graph &graph, const Operation &op,
             unsigned indent, DataNames *names) {
  DataNames local;
  if (!names)
    names = &local;
  printValueList(os, op.getResults());
  os << " = " << op.getName() << '(';
  llvm::ListSeparator sep;
  for (ValueId id : op.getOperands())
    os << sep << 't' << id;
  for (const NamedAttribute &attr : op.getAttrs()) {
    os << sep << attr.name << '=';
    if (attr.value.isData())
      os << '%' << names->nameOf(attr.value.getData());
    else
      os << attr.value.toString();
  }
  os << ") : ";
  llvm::ListSeparator typeSep;
  for (ValueId id : op.getResults())
    os << typeSep << typeText(graph, id);
  if (const Graph *body = op.getBody()) {
    os << " {\n";
    for (const Operation &inner : body->getOps()) {
      os.indent(indent + 2);
      printOp(os, *body, inner, indent + 2, names);
      os << '\n';
    }
    os.indent(indent + 2) << "return ";
    printValueList(os, body->getOutputs());
    os << '\n';
    os.indent(indent) << '}';
  }
}

void printGraphBody(llvm::raw_ostream &os, const Graph &graph,
                    DataNames &names) {
  os << "graph @" << graph.getName() << '(';
  llvm::ListSeparator sep;
  for (ValueId id : graph.getInputs())
    os << sep << 't' << id << ": " << typeText(graph, id);
  os << ") {\n";
  for (const Operation &op : graph.getOps()) {
    os << "  ";
    printOp(os, graph, op, 2, &names);
    os << '\n';
  }
  os << "  return ";
  printValueList(os, graph.getOutputs());
  os << "\n}\n";
}

void printGraph(llvm::raw_ostream &os, const Graph &graph) {
  DataNames names;
  printGraphBody(os, graph, names);
  if (!names.empty()) {
    os << '\n';
    names.printSection(os);
  }
}

void printModule(llvm::raw_ostream &os, const Module &module) {
  DataNames names;
  llvm::ListSeparator sep("\n");
  for (const Graph &g : module.getGraphs()) {
    os << sep;
    printGraphBody(os, g, names);
  }
  if (!names.empty()) {
    os << '\n';
    names.printSection(os);
  }
}

} // namespace qjit
