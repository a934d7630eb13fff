//===- Printer.h - The canonical .qir text form -----------------*- C++ -*-===//
#ifndef QJIT_IR_PRINTER_H
#define QJIT_IR_PRINTER_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <unordered_map>
#include <vector>

namespace qjit {

// Names the bytes of data constants as they are printed: %w0, %w1, ... in
// order of first use; equal bytes share one name. The data section defines
// each name once:
//
//   data {
//     %w0 = "0x0000803F00000040"
//   }
//
// the bytes in hex, two digits per byte in memory order (little-endian
// elements).
class DataNames {
public:
  // The name of `data` (without the '%'), given on first use.
  std::string nameOf(const std::shared_ptr<const DenseData> &data);
  bool empty() const { return blobs.empty(); }
  // The data section of every name given, or nothing if none was.
  void printSection(llvm::raw_ostream &os) const;

private:
  std::vector<std::shared_ptr<const DenseData>> blobs; // by name number
  std::unordered_multimap<uint64_t, size_t> byHash;    // content hash -> number
};

// One op; a FusedElementwise op's body follows on the next lines, each
// indented by `indent` + 2 spaces, and its closing '}' by `indent`. Data is
// named by `names` (by a fresh DataNames if null: a lone op names its data
// %w0).
void printOp(llvm::raw_ostream &os, const Graph &graph, const Operation &op,
             unsigned indent = 0, DataNames *names = nullptr);
// The graph alone, naming its data through `names` and leaving the data
// section to the caller.
void printGraphBody(llvm::raw_ostream &os, const Graph &graph,
                    DataNames &names);
// The graph, then the data section of its data constants, if any: a
// complete .qir file.
void printGraph(llvm::raw_ostream &os, const Graph &graph);
// Graphs separated by a blank line, then one data section for all.
void printModule(llvm::raw_ostream &os, const Module &module);

} // namespace qjit

#endif
