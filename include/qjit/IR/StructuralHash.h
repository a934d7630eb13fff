//===- StructuralHash.h - Hash of a graph's meaning -------------*- C++ -*-===//
#ifndef QJIT_IR_STRUCTURALHASH_H
#define QJIT_IR_STRUCTURALHASH_H

#include "qjit/IR/Graph.h"
#include <cstdint>

namespace qjit {

// A hash of everything that changes what a graph computes: input types,
// every op's kind, operand wiring, result types and every attribute value
// (a data constant's by the xxh3 of its bytes), and the outputs. Value ids are
// renumbered in definition order, so graphs that differ only in names hash
// equal; source locations are ignored.
uint64_t structuralHash(const Graph &graph);

} // namespace qjit

#endif
