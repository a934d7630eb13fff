//===- FakeQuantizationOp.h - Typed view of fake quantization ---*- C++ -*-===//
//
// Reads the attributes and operands of a FakeQuantization or
// GradFakeQuantization op with their defaults applied
// (docs/fake-quantization.md), so the verifier, interpreter and code generator
// share one reading of them.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_FAKEQUANTIZATIONOP_H
#define QJIT_IR_FAKEQUANTIZATIONOP_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"
#include <optional>
#include <string>

namespace qjit {

enum class GradientRule { STE, Clipped, LSQ };
llvm::StringRef gradientRuleName(GradientRule rule);

// float32 epsilon, the observer's lower bound on a scale (PyTorch's).
inline constexpr float kObserverEps = 1.1920929e-7f;

class FakeQuantizationOp {
public:
  // `op` must be a FakeQuantization or GradFakeQuantization.
  FakeQuantizationOp(const Operation &op);
  static bool classof(const Operation &op);

  const Operation &getOperation() const { return op; }
  bool isGradient() const;

  // Operands. The gradient op has dy first, then the forward's operands.
  ValueId input() const { return op.getOperand(firstOperand()); }
  std::optional<ValueId> scaleOperand() const;
  std::optional<ValueId> zeroPointOperand() const;
  std::optional<ValueId> gradOutput() const; // dy, gradient op only

  // Attributes with defaults applied.
  int64_t numBits() const;
  bool symmetric() const;
  bool narrowRange() const;
  // Symmetric quantization in effect (zero point 0, the observer's symmetric
  // formula): symmetric=true, except that an explicit quant_min/quant_max
  // grid without a symmetric attribute is affine.
  bool symmetricGrid() const;
  int64_t quantMin() const; // the grid: explicit or from the bit width
  int64_t quantMax() const;
  // Per-tensor scale attribute; nullopt when absent or per channel.
  std::optional<double> scale() const;
  // Every scale attribute value (one per channel); empty when absent.
  std::vector<double> scales() const;
  bool hasScaleAttr() const { return op.hasAttr("scale"); }
  // Per-tensor zero point (0 when absent).
  int64_t zeroPoint() const;
  // Zero point of channel `c` (the attribute's list, or the scalar, or 0).
  int64_t zeroPoint(int64_t channel) const;
  // The raw axis attribute, nullopt for per-tensor.
  std::optional<int64_t> axis() const;
  // The axis made non-negative for an input of rank `rank`.
  std::optional<int64_t> normalizedAxis(int64_t rank) const;
  GradientRule gradient() const;
  double gradFactor() const;

  // Scale and zero point come from the data (MinMax observer): no scale
  // attribute and no scale operand.
  bool scaleFromData() const;

  // GradFakeQuantization(dy, mask): the clipped rule from the Bool mask the
  // forward op yields as its second result (dx = dy * mask, as PyTorch's
  // fake_quantize_*_cachemask_backward), instead of from x.
  static bool isMaskForm(llvm::ArrayRef<TensorType> operandTypes) {
    return operandTypes.size() >= 2 &&
           operandTypes[1].elementType == DataType::Bool;
  }

  // Checks every attribute rule of docs/fake-quantization.md against the
  // operands' types; the error says which rule failed.
  llvm::Error validate(llvm::ArrayRef<TensorType> operandTypes) const;
  std::string toString(const Graph &graph) const {
    return graph.opToString(op);
  }

private:
  llvm::Error validateMaskForm(llvm::ArrayRef<TensorType> operandTypes) const;
  unsigned firstOperand() const { return isGradient() ? 1 : 0; }
  const Operation &op;
};

} // namespace qjit

#endif
