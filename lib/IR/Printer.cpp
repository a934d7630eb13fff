//===- Printer.cpp - The canonical .qir text form -------------------------===//
#include "qjit/IR/Printer.h"
#include "llvm/ADT/StringExtras.h"

namespace qjit {

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
             unsigned indent) {
  printValueList(os, op.getResults());
  os << " = " << op.getName() << '(';
  llvm::ListSeparator sep;
  for (ValueId id : op.getOperands())
    os << sep << 't' << id;
  for (const NamedAttribute &attr : op.getAttrs())
    os << sep << attr.name << '=' << attr.value.toString();
  os << ") : ";
  llvm::ListSeparator typeSep;
  for (ValueId id : op.getResults())
    os << typeSep << typeText(graph, id);
  if (const Graph *body = op.getBody()) {
    os << " {\n";
    for (const Operation &inner : body->getOps()) {
      os.indent(indent + 2);
      printOp(os, *body, inner, indent + 2);
      os << '\n';
    }
    os.indent(indent + 2) << "return ";
    printValueList(os, body->getOutputs());
    os << '\n';
    os.indent(indent) << '}';
  }
}

void printGraph(llvm::raw_ostream &os, const Graph &graph) {
  os << "graph @" << graph.getName() << '(';
  llvm::ListSeparator sep;
  for (ValueId id : graph.getInputs())
    os << sep << 't' << id << ": " << typeText(graph, id);
  os << ") {\n";
  for (const Operation &op : graph.getOps()) {
    os << "  ";
    printOp(os, graph, op, 2);
    os << '\n';
  }
  os << "  return ";
  printValueList(os, graph.getOutputs());
  os << "\n}\n";
}

void printModule(llvm::raw_ostream &os, const Module &module) {
  llvm::ListSeparator sep("\n");
  for (const Graph &g : module.getGraphs()) {
    os << sep;
    printGraph(os, g);
  }
}

} // namespace qjit
