//===- TensorFormat.h - Printing tensors for people -------------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_TENSORFORMAT_H
#define QJIT_TOOLS_IROPT_TENSORFORMAT_H

#include "qjit/IR/Tensor.h"
#include "llvm/Support/raw_ostream.h"

namespace qjit {

// Prints the values of `tensor` as NumPy does: nested brackets, rows on
// their own lines, long rows wrapped, and, above 1000 elements, only the
// first and last 3 entries of each long axis around a '...'. Floats print
// in their shortest round-trip form ("0.1", "1.0", "nan", "-inf"), Bool as
// true/false. Ends with a newline.
void printTensorValues(llvm::raw_ostream &os, const Tensor &tensor);

} // namespace qjit

#endif
