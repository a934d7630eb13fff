//===- QLinear.h - A QLinear op's kernel, alone or with an epilogue -*- C++
//-*-===//
//
// A QLinear op is lowered by its own kernel, or as the anchor of a
// FusedElementwise op whose body starts with it (its result Float32): then
// the chunk of work that writes a band of the product runs the body's
// elementwise ops over that band at once, while it is in the cache
// (lib/CodeGen/FusedElementwise.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_QLINEAR_H
#define QJIT_LIB_CODEGEN_QLINEAR_H

#include "Kernel.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace qjit {

// Where a QLinear op's buffers are, as seen from a kernel or from a chunk of
// it.
struct QLinearSite {
  const Graph &graph; // the types of the op's operands and result
  const Operation &op;
  // The kernel operand that holds each of the op's operands.
  llvm::SmallVector<unsigned, 3> operandPositions;
  bool prepacked;         // the weights' kernel operand holds them packed
  uint64_t scratchOffset; // of the op's scratch in the kernel's
  // The product's buffer as seen from a chunk.
  llvm::function_ref<llvm::Value *(const Kernel &chunk)> product;
};

// A part of the product just written by one chunk: rows [firstRow, endRow)
// and columns [firstColumn, endColumn) of the product seen as a matrix of
// rows of n elements (a MatMul's rows; an NHWC convolution's positions,
// image after image, each a row of its output channels).
struct ProductBand {
  llvm::Value *firstRow, *endRow, *firstColumn, *endColumn;
  bool wholeRows; // every band holds every column
};

// Runs after each band, on the chunk's thread; `captured` are the
// caller's captures as seen from the chunk.
using QLinearEpilogue = llvm::function_ref<void(
    Kernel &chunk, llvm::ArrayRef<llvm::Value *> captured,
    const ProductBand &band)>;

// What the epilogue can take.
struct EpilogueNeeds {
  int64_t rowMultiple = 1;  // bands of whole multiples of this many rows
  bool columnParts = false; // bands of some of the columns
};

// Emits the op at `site`. With an epilogue, calls it on every band and
// returns true; returns false, having emitted the op alone, when the
// product has no such bands (an NCHW convolution, or parts of columns the
// epilogue cannot take): the caller then runs over the whole product.
bool emitQLinearAt(Kernel &k, const QLinearSite &site,
                   llvm::ArrayRef<llvm::Value *> captures,
                   QLinearEpilogue epilogue, EpilogueNeeds needs);

// The scratch of the op at a site: the weights packed at run time (unless
// prepacked), then a convolution's NHWC image (unless read in place).
uint64_t qlinearSiteScratchBytes(const Graph &graph, const Operation &op,
                                 bool prepacked);

// The QLinear op whose weights `op`'s kernel packs: `op` itself, or the
// anchor first in a fused body; null for other ops.
const Operation *qlinearOf(const Operation &op);

} // namespace qjit

#endif
