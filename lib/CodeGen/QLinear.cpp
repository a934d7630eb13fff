//===- QLinear.cpp - Lowering of QLinearMatMul and QLinearConv2D ----------===//
//
// Integer products run in the runtime's kernels (lib/Runtime/QGemm.h): the
// kernel describes the product in a constant qjit_qgemm (and qjit_qconv),
// packs w and computes the column offsets into its scratch, then calls the
// row (or task) function over bands split across threads. The instruction
// set is chosen here from the kernel's target features, so --mcpu/--mattr
// choose it as they choose the vector width elsewhere.
//
//===----------------------------------------------------------------------===//
#include "GlobalConstants.h"
#include "Kernel.h"
#include "Parallel.h"
#include "Runtime/QGemm.h"
#include "qjit/IR/OpParams.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include <algorithm>

using namespace llvm;

namespace qjit {
namespace {

// Multiply-adds worth one task on a thread (as MatMul's bands).
constexpr int64_t kTaskMultiplyAdds = int64_t(1) << 22;
constexpr int64_t kMinTaskRows = 16;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The enabled features of a "+a,-b,..." string (the last mention wins).
bool hasFeatures(StringRef featureString, ArrayRef<StringRef> features) {
  StringMap<bool> enabled;
  SmallVector<StringRef, 64> parts;
  featureString.split(parts, ',', -1, false);
  for (StringRef part : parts)
    enabled[part.drop_front()] = part.starts_with("+");
  return all_of(features, [&](StringRef f) { return enabled.lookup(f); });
}

qjit_isa chooseIsa(const Function &fn) {
  StringRef features = fn.getFnAttribute("target-features").getValueAsString();
  if (hasFeatures(features, {"avx512f", "avx512bw", "avx512vnni"}))
    return QJIT_ISA_AVX512_VNNI;
  if (hasFeatures(features, {"avx2", "avxvnni"}))
    return QJIT_ISA_AVX_VNNI;
  if (hasFeatures(features, {"avx2"}))
    return QJIT_ISA_AVX2;
  return QJIT_ISA_SCALAR;
}

// The description of the product and its per-column constants.
struct Product {
  qjit_qgemm desc{};
  std::vector<int32_t> wZeroPoints;
  std::vector<float> multipliers;
};

Product describe(const Kernel &k, int64_t rows, int64_t depth,
                 int64_t groups) {
  const TensorType &x = k.operands[0].type, &w = k.operands[1].type;
  QLinearParams p = cantFail(getQLinearParams(k.op, x, w));
  Product product;
  qjit_qgemm &g = product.desc;
  g.m = rows;
  g.n = p.columns / groups;
  g.k = depth;
  g.groups = groups;
  g.isa = chooseIsa(*k.b.GetInsertBlock()->getParent());
  g.x_signed = x.elementType == DataType::Int8;
  g.w_signed = w.elementType == DataType::Int8;
  g.x_zero_point = p.xZeroPoint + (g.x_signed ? 128 : 0);
  g.y_zero_point = p.yZeroPoint;
  g.lo = p.lo;
  g.hi = p.hi;
  for (int64_t j = 0; j < p.columns; ++j) {
    int64_t zp = p.wZeroPoint(j) - (g.w_signed ? 0 : 128);
    product.wZeroPoints.push_back(static_cast<int32_t>(zp));
    product.multipliers.push_back(p.multiplier(j));
    g.has_w_zero_points |= zp != 0;
  }
  return product;
}

// qjit_qgemm as an LLVM constant: 12 i64 fields, then two pointers to the
// per-column arrays.
GlobalVariable *emitDescription(Kernel &k, const Product &product) {
  LLVMContext &ctx = k.module.getContext();
  Type *i64 = Type::getInt64Ty(ctx);
  const qjit_qgemm &g = product.desc;
  SmallVector<Constant *, 14> fields;
  for (int64_t v : {g.m, g.n, g.k, g.groups, g.isa, g.x_signed, g.w_signed,
                    g.x_zero_point, g.y_zero_point, g.lo, g.hi,
                    g.has_w_zero_points})
    fields.push_back(ConstantInt::get(i64, v));
  SmallVector<Constant *> zps, multipliers;
  for (int32_t v : product.wZeroPoints)
    zps.push_back(ConstantInt::get(Type::getInt32Ty(ctx), v));
  for (float v : product.multipliers)
    multipliers.push_back(ConstantFP::get(Type::getFloatTy(ctx), v));
  fields.push_back(createConstantArray(k.module, Type::getInt32Ty(ctx), zps,
                                       "qgemm.w_zero_points"));
  fields.push_back(createConstantArray(k.module, Type::getFloatTy(ctx),
                                       multipliers, "qgemm.multipliers"));
  SmallVector<Type *, 14> types;
  for (Constant *c : fields)
    types.push_back(c->getType());
  Constant *init = ConstantStruct::getAnon(ctx, fields);
  return new GlobalVariable(k.module, init->getType(), true,
                            GlobalValue::PrivateLinkage, init, "qgemm");
}

GlobalVariable *emitConvDescription(Kernel &k, const qjit_qconv &c) {
  LLVMContext &ctx = k.module.getContext();
  SmallVector<Constant *, 15> fields;
  for (int64_t v :
       {c.images, c.channels, c.height, c.width, c.kernel_h, c.kernel_w,
        c.stride_h, c.stride_w, c.pad_h, c.pad_w, c.dilation_h, c.dilation_w,
        c.out_h, c.out_w, c.rows_per_task})
    fields.push_back(ConstantInt::get(Type::getInt64Ty(ctx), v));
  Constant *init = ConstantStruct::getAnon(ctx, fields);
  return new GlobalVariable(k.module, init->getType(), true,
                            GlobalValue::PrivateLinkage, init, "qconv");
}

FunctionCallee runtimeFunction(llvm::Module &module, StringRef name,
                               ArrayRef<Type *> params) {
  auto *fnTy =
      FunctionType::get(Type::getVoidTy(module.getContext()), params, false);
  FunctionCallee callee = module.getOrInsertFunction(name, fnTy);
  if (auto *fn = dyn_cast<Function>(callee.getCallee()))
    fn->addFnAttr(llvm::Attribute::NoUnwind);
  return callee;
}

uint64_t alignTo64(uint64_t bytes) { return (bytes + 63) / 64 * 64; }

// The packed weights and the column offsets, at the start of scratch.
struct PackedWeights {
  Value *packed, *offsets;
};

PackedWeights emitPack(Kernel &k, GlobalVariable *desc,
                       const qjit_qgemm &g, int64_t kStride, int64_t nStride,
                       int64_t groupStride) {
  IRBuilderBase &b = k.b;
  Type *ptr = b.getPtrTy(), *i64 = b.getInt64Ty();
  Value *offsets = b.CreateConstGEP1_64(
      b.getInt8Ty(), k.scratch, alignTo64(qjit_qgemm_packed_bytes(&g)));
  Value *bias = k.operands.size() > 2 ? k.operands[2].ptr
                                      : ConstantPointerNull::get(b.getPtrTy());
  b.CreateCall(runtimeFunction(k.module, "qjit_qgemm_pack",
                               {ptr, ptr, i64, i64, i64, ptr, ptr, ptr}),
               {desc, k.operands[1].ptr, b.getInt64(kStride),
                b.getInt64(nStride), b.getInt64(groupStride), bias, k.scratch,
                offsets});
  return {k.scratch, offsets};
}

void emitQLinearMatMul(Kernel &k) {
  const TensorType &x = k.operands[0].type, &w = k.operands[1].type;
  int64_t depth = w.shape[0], n = w.shape[1];
  int64_t rows = x.numElements() / std::max<int64_t>(depth, 1);
  if (depth == 0)
    rows = k.results[0].type.numElements() / std::max<int64_t>(n, 1);
  Product product = describe(k, rows, depth, 1);
  GlobalVariable *desc = emitDescription(k, product);
  emitPack(k, desc, product.desc, n, 1, 0);
  int64_t band = std::min(
      rows, std::max(kMinTaskRows,
                     ceilDiv(kTaskMultiplyAdds, std::max<int64_t>(depth * n, 1))));
  Type *ptr = k.b.getPtrTy(), *i64 = k.b.getInt64Ty();
  uint64_t offsetsAt = alignTo64(qjit_qgemm_packed_bytes(&product.desc));
  emitParallelFor(
      k, ceilDiv(rows, band), /*grain=*/1, {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        IRBuilderBase &b = chunk.b;
        Value *first = b.CreateMul(begin, b.getInt64(band));
        Value *last = b.CreateBinaryIntrinsic(
            Intrinsic::smin, b.CreateMul(end, b.getInt64(band)),
            b.getInt64(rows));
        b.CreateCall(
            runtimeFunction(k.module, "qjit_qgemm_rows",
                            {ptr, ptr, ptr, ptr, ptr, i64, i64}),
            {desc, chunk.scratch,
             b.CreateConstGEP1_64(b.getInt8Ty(), chunk.scratch, offsetsAt),
             chunk.operands[0].ptr, chunk.results[0].ptr, first, last});
      });
}

void emitQLinearConv2D(Kernel &k) {
  const TensorType &x = k.operands[0].type, &w = k.operands[1].type;
  const TensorType &y = k.results[0].type;
  Conv2DParams p = cantFail(getConv2DParams(k.op));
  int64_t depth = w.shape[1] * w.shape[2] * w.shape[3];
  int64_t positions = y.shape[2] * y.shape[3];
  Product product = describe(k, positions, depth, p.groups);
  GlobalVariable *desc = emitDescription(k, product);
  // W^T of a group: element (k, j) of OIHW w at w[j * depth + k].
  emitPack(k, desc, product.desc, 1, depth, product.desc.n * depth);

  qjit_qconv c{};
  c.images = x.shape[0], c.channels = x.shape[1];
  c.height = x.shape[2], c.width = x.shape[3];
  c.kernel_h = w.shape[2], c.kernel_w = w.shape[3];
  c.stride_h = p.strideH, c.stride_w = p.strideW;
  c.pad_h = p.padH, c.pad_w = p.padW;
  c.dilation_h = p.dilationH, c.dilation_w = p.dilationW;
  c.out_h = y.shape[2], c.out_w = y.shape[3];
  c.rows_per_task = std::min(
      positions,
      std::max(kMinTaskRows,
               ceilDiv(kTaskMultiplyAdds,
                       std::max<int64_t>(depth * product.desc.n, 1))));
  GlobalVariable *conv = emitConvDescription(k, c);
  Type *ptr = k.b.getPtrTy(), *i64 = k.b.getInt64Ty();
  uint64_t offsetsAt = alignTo64(qjit_qgemm_packed_bytes(&product.desc));
  emitParallelFor(
      k, qjit_qconv_task_count(&product.desc, &c), /*grain=*/1, {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        IRBuilderBase &b = chunk.b;
        b.CreateCall(
            runtimeFunction(k.module, "qjit_qconv_tasks",
                            {ptr, ptr, ptr, ptr, ptr, ptr, i64, i64}),
            {desc, conv, chunk.scratch,
             b.CreateConstGEP1_64(b.getInt8Ty(), chunk.scratch, offsetsAt),
             chunk.operands[0].ptr, chunk.results[0].ptr, begin, end});
      });
}

// The product's shape, without emitting anything: for the scratch size.
qjit_qgemm shapeOf(const Graph &graph, const Operation &op) {
  const TensorType &w = graph.getType(op.getOperand(1));
  qjit_qgemm g{};
  g.groups = 1;
  if (op.getKind() == OpKind::QLinearMatMul) {
    g.k = w.shape[0];
    g.n = w.shape[1];
  } else {
    g.groups = cantFail(getConv2DParams(op)).groups;
    g.k = w.shape[1] * w.shape[2] * w.shape[3];
    g.n = w.shape[0] / g.groups;
  }
  return g;
}

} // namespace

uint64_t qlinearScratchBytes(const Graph &graph, const Operation &op) {
  qjit_qgemm g = shapeOf(graph, op);
  return alignTo64(qjit_qgemm_packed_bytes(&g)) +
         alignTo64(qjit_qgemm_offset_bytes(&g));
}

void emitQLinear(Kernel &k) {
  if (k.results[0].type.numElements() == 0)
    return;
  if (k.op.getKind() == OpKind::QLinearMatMul)
    emitQLinearMatMul(k);
  else
    emitQLinearConv2D(k);
}

} // namespace qjit
