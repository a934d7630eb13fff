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
#include "QLinear.h"
#include "GlobalConstants.h"
#include "Kernel.h"
#include "LoopBuilder.h"
#include "Parallel.h"
#include "Runtime/QGemm.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/OpParams.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

using namespace llvm;

namespace qjit {
namespace {

// The fewest rows of a task: each task streams the packed weights through
// the cache once per panel of rows.
constexpr int64_t kMinTaskRows = 64;
// Column parts of a task are whole tiles of the widest path.
constexpr int64_t kTaskColumnStep = 64;

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
  if (hasFeatures(features, {"avx512f", "avx512bw", "avx512vl", "avx512vnni"}))
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

// The product of `op` with operand types x and w: `rows` rows of `depth`
// per group.
Product describe(const Operation &op, const TensorType &x, const TensorType &w,
                 qjit_isa isa) {
  QLinearParams p = cantFail(getQLinearParams(op, x, w));
  Product product;
  qjit_qgemm &g = product.desc;
  g.groups = 1;
  if (op.getKind() == OpKind::QLinearMatMul) {
    g.k = w.shape[0];
    g.n = w.shape[1];
    g.m = numElements(ArrayRef<int64_t>(x.shape).drop_back());
  } else {
    g.groups = cantFail(getConv2DParams(op)).groups;
    g.k = w.shape[1] * w.shape[2] * w.shape[3];
    g.n = w.shape[0] / g.groups;
  }
  g.isa = isa;
  g.x_signed = x.elementType == DataType::Int8;
  g.w_signed = w.elementType == DataType::Int8;
  g.x_zero_point = p.xZeroPoint + (g.x_signed ? 128 : 0);
  g.y_zero_point = p.yZeroPoint;
  g.lo = p.lo;
  g.hi = p.hi;
  g.y_float = p.resultType == DataType::Float32;
  g.y_scale = p.yScale;
  for (int64_t j = 0; j < p.columns; ++j) {
    int64_t zp = p.wZeroPoint(j) - (g.w_signed ? 0 : 128);
    product.wZeroPoints.push_back(static_cast<int32_t>(zp));
    product.multipliers.push_back(p.multiplier(j));
    g.has_w_zero_points |= zp != 0;
  }
  g.w_zero_points = product.wZeroPoints.data();
  g.multipliers = product.multipliers.data();
  return product;
}

Product describe(const Graph &graph, const Operation &op, qjit_isa isa) {
  return describe(op, graph.getType(op.getOperand(0)),
                  graph.getType(op.getOperand(1)), isa);
}

// qjit_qgemm as an LLVM constant: 13 i64 fields, a double, then two
// pointers to the per-column arrays.
GlobalVariable *emitDescription(Kernel &k, const Product &product) {
  LLVMContext &ctx = k.module.getContext();
  Type *i64 = Type::getInt64Ty(ctx);
  const qjit_qgemm &g = product.desc;
  SmallVector<Constant *, 16> fields;
  for (int64_t v :
       {g.m, g.n, g.k, g.groups, g.isa, g.x_signed, g.w_signed, g.x_zero_point,
        g.y_zero_point, g.lo, g.hi, g.has_w_zero_points, g.y_float})
    fields.push_back(ConstantInt::get(i64, v));
  fields.push_back(ConstantFP::get(Type::getDoubleTy(ctx), g.y_scale));
  SmallVector<Constant *> zps, multipliers;
  for (int32_t v : product.wZeroPoints)
    zps.push_back(ConstantInt::get(Type::getInt32Ty(ctx), v));
  for (float v : product.multipliers)
    multipliers.push_back(ConstantFP::get(Type::getFloatTy(ctx), v));
  fields.push_back(createConstantArray(k.module, Type::getInt32Ty(ctx), zps,
                                       "qgemm.w_zero_points"));
  fields.push_back(createConstantArray(k.module, Type::getFloatTy(ctx),
                                       multipliers, "qgemm.multipliers"));
  SmallVector<Type *, 16> types;
  for (Constant *c : fields)
    types.push_back(c->getType());
  Constant *init = ConstantStruct::getAnon(ctx, fields);
  return new GlobalVariable(k.module, init->getType(), true,
                            GlobalValue::PrivateLinkage, init, "qgemm");
}

GlobalVariable *emitConvDescription(Kernel &k, const qjit_qconv &c) {
  LLVMContext &ctx = k.module.getContext();
  SmallVector<Constant *, 17> fields;
  for (int64_t v :
       {c.images, c.channels, c.height, c.width, c.kernel_h, c.kernel_w,
        c.stride_h, c.stride_w, c.pad_h, c.pad_w, c.dilation_h, c.dilation_w,
        c.out_h, c.out_w, c.rows_per_task, c.columns_per_task, c.channels_last})
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

// Where qjit_qgemm_pack finds w's elements.
struct PackLayout {
  int64_t kStride, nStride, groupStride, taps;
};

PackLayout packLayout(const Operation &op, const TensorType &w,
                      const qjit_qgemm &g) {
  if (op.getKind() == OpKind::QLinearMatMul)
    return {g.n, 1, 0, 1}; // [K, N]
  // OIHW: output j of a group at j * depth, its taps (kh, kw) innermost.
  return {1, g.k, g.n * g.k, w.shape[2] * w.shape[3]};
}

uint64_t alignTo64(uint64_t bytes) { return (bytes + 63) / 64 * 64; }

// Packed weights, then the column offsets.
uint64_t packedBytes(const qjit_qgemm &g) {
  return alignTo64(qjit_qgemm_packed_bytes(&g)) +
         alignTo64(qjit_qgemm_offset_bytes(&g));
}

// The bytes of a Constant of an integer type (data or values), or nothing
// when `id` is not a Constant's result.
std::optional<std::vector<uint8_t>> constantBytes(const Graph &graph,
                                                  ValueId id) {
  const Operation *def = graph.getDefiningOp(id);
  if (!def || def->getKind() != OpKind::Constant)
    return std::nullopt;
  const TensorType &type = graph.getType(id);
  if (const Attribute *data = def->getAttr("data")) {
    StringRef bytes = data->getData()->getBytes();
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
  }
  std::vector<double> numbers = def->getAttr("values")->getNumbers();
  size_t width = dataTypeSize(type.elementType);
  std::vector<uint8_t> bytes(type.sizeInBytes());
  for (int64_t i = 0, e = type.numElements(); i < e; ++i) {
    auto v = static_cast<int32_t>(numbers[numbers.size() == 1 ? 0 : i]);
    std::memcpy(&bytes[i * width], &v, width); // little-endian
  }
  return bytes;
}

// The packed weights and the column offsets: the weights' operand when
// packed at compile time, else packed now into the start of the site's
// scratch.
struct PackedWeights {
  Value *packed, *offsets;
};

Value *siteOperand(const Kernel &k, const QLinearSite &site, unsigned i) {
  return k.operands[site.operandPositions[i]].ptr;
}

Value *siteScratch(const Kernel &k, const QLinearSite &site) {
  return k.b.CreateConstGEP1_64(k.b.getInt8Ty(), k.scratch, site.scratchOffset);
}

PackedWeights emitPackedWeights(Kernel &k, const QLinearSite &site,
                                GlobalVariable *desc, const qjit_qgemm &g) {
  IRBuilderBase &b = k.b;
  Value *packed =
      site.prepacked ? siteOperand(k, site, 1) : siteScratch(k, site);
  Value *offsets = b.CreateConstGEP1_64(b.getInt8Ty(), packed,
                                        alignTo64(qjit_qgemm_packed_bytes(&g)));
  if (site.prepacked)
    return {packed, offsets};
  PackLayout layout =
      packLayout(site.op, site.graph.getType(site.op.getOperand(1)), g);
  Type *ptr = b.getPtrTy(), *i64 = b.getInt64Ty();
  Value *bias = site.op.getNumOperands() > 2
                    ? siteOperand(k, site, 2)
                    : ConstantPointerNull::get(b.getPtrTy());
  b.CreateCall(runtimeFunction(k.module, "qjit_qgemm_pack",
                               {ptr, ptr, i64, i64, i64, i64, ptr, ptr, ptr}),
               {desc, siteOperand(k, site, 1), b.getInt64(layout.kStride),
                b.getInt64(layout.nStride), b.getInt64(layout.groupStride),
                b.getInt64(layout.taps), bias, packed, offsets});
  return {packed, offsets};
}

// Rows (output positions) per task: about kBandMultiplyAdds of work.
int64_t rowsPerTask(const qjit_qgemm &g, int64_t rows) {
  int64_t perRow = std::max<int64_t>(g.k * g.n, 1);
  return std::min(rows,
                  std::max(kMinTaskRows, ceilDiv(kBandMultiplyAdds, perRow)));
}

// A convolution's tasks: bands of about kConvTaskMultiplyAdds; when one band
// holds every position (small images, late in a network), parts of the
// columns instead, so that two threads still have work to share.
// A depthwise multiply-add costs about 16 of a GEMM's (widened lanes, no
// vpdpbusd): 96 channels of 112x112, 3x3, take 2.6 ms here for 11M.
constexpr int64_t kConvTaskMultiplyAdds = int64_t(1) << 20;
constexpr int64_t kDepthwiseCost = 16;

void chooseConvTasks(const qjit_qgemm &g, qjit_qconv &c) {
  bool depthwise = qjit_qconv_is_depthwise(&g, &c);
  int64_t positions = c.out_h * c.out_w;
  int64_t width = depthwise ? c.channels : g.n; // a task's columns
  int64_t budget = kConvTaskMultiplyAdds / (depthwise ? kDepthwiseCost : 1);
  int64_t perRow = std::max<int64_t>(g.k * width, 1);
  c.rows_per_task =
      std::min(positions, std::max(kMinTaskRows, ceilDiv(budget, perRow)));
  c.columns_per_task = width;
  if (c.rows_per_task < positions)
    return;
  int64_t perColumn = std::max<int64_t>(g.k * positions, 1);
  int64_t columns = ceilDiv(budget, perColumn);
  c.columns_per_task =
      std::min(width, ceilDiv(columns, kTaskColumnStep) * kTaskColumnStep);
}

// The tasks of an epilogue that takes whole rows only: bands of whole
// multiples of rowMultiple positions (a divisor of an image's positions),
// at least two when the image has room for them, every column in each.
void chooseRowTasks(qjit_qconv &c, int64_t rowMultiple) {
  int64_t positions = c.out_h * c.out_w;
  c.columns_per_task = std::numeric_limits<int64_t>::max() / 2;
  int64_t rows =
      c.rows_per_task < positions ? c.rows_per_task : ceilDiv(positions, 2);
  c.rows_per_task =
      std::min(positions, ceilDiv(rows, rowMultiple) * rowMultiple);
}

bool emitQLinearMatMul(Kernel &k, const QLinearSite &site,
                       const Product &product, ArrayRef<Value *> captures,
                       QLinearEpilogue epilogue, EpilogueNeeds needs) {
  const qjit_qgemm &g = product.desc;
  GlobalVariable *desc = emitDescription(k, product);
  PackedWeights weights = emitPackedWeights(k, site, desc, g);
  int64_t band = rowsPerTask(g, g.m);
  if (epilogue)
    band = std::min(g.m, ceilDiv(band, needs.rowMultiple) * needs.rowMultiple);
  Type *ptr = k.b.getPtrTy(), *i64 = k.b.getInt64Ty();
  SmallVector<Value *, 8> all{weights.packed, weights.offsets};
  all.append(captures.begin(), captures.end());
  emitParallelFor(
      k, ceilDiv(g.m, band), /*grain=*/1, all,
      [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin, Value *end) {
        auto rows = [&](IRBuilderBase &b, Value *bandBegin, Value *bandEnd) {
          Value *first = b.CreateMul(bandBegin, b.getInt64(band));
          Value *last = b.CreateBinaryIntrinsic(
              Intrinsic::smin, b.CreateMul(bandEnd, b.getInt64(band)),
              b.getInt64(g.m));
          b.CreateCall(runtimeFunction(k.module, "qjit_qgemm_rows",
                                       {ptr, ptr, ptr, ptr, ptr, i64, i64}),
                       {desc, captured[0], captured[1],
                        siteOperand(chunk, site, 0), site.product(chunk), first,
                        last});
          if (epilogue)
            epilogue(chunk, captured.drop_front(2),
                     {first, last, b.getInt64(0), b.getInt64(g.n), true});
        };
        if (!epilogue)
          return rows(chunk.b, begin, end);
        // Band by band, so that each epilogue finds its band in the cache.
        emitLoop(
            chunk.b, begin, end, chunk.b.getInt64(1),
            [&](IRBuilderBase &b, Value *i) {
              rows(b, i, b.CreateAdd(i, b.getInt64(1)));
            },
            "band");
      });
  return true;
}

qjit_qconv convGeometry(const Operation &op, const TensorType &x,
                        const TensorType &w, const TensorType &y) {
  Conv2DParams p = cantFail(getConv2DParams(op));
  Shape xs = x.shape, ys = y.shape; // as NCHW
  if (p.channelsLast) {
    xs = permuteShape(xs, kNhwcToNchw);
    ys = permuteShape(ys, kNhwcToNchw);
  }
  qjit_qconv c{};
  c.images = xs[0], c.channels = xs[1];
  c.height = xs[2], c.width = xs[3];
  c.kernel_h = w.shape[2], c.kernel_w = w.shape[3];
  c.stride_h = p.strideH, c.stride_w = p.strideW;
  c.pad_h = p.padH, c.pad_w = p.padW;
  c.dilation_h = p.dilationH, c.dilation_w = p.dilationW;
  c.out_h = ys[2], c.out_w = ys[3];
  c.channels_last = p.channelsLast;
  return c;
}

// Whether the kernels read x itself as x' (NHWC UInt8), with no copy.
bool readsInputInPlace(const Operation &op, const TensorType &x) {
  return x.elementType == DataType::UInt8 &&
         cantFail(getConv2DParams(op)).channelsLast;
}

bool emitQLinearConv2D(Kernel &k, const QLinearSite &site,
                       const Product &product, ArrayRef<Value *> captures,
                       QLinearEpilogue epilogue, EpilogueNeeds needs) {
  const qjit_qgemm &g = product.desc;
  const TensorType &xType = site.graph.getType(site.op.getOperand(0));
  qjit_qconv c =
      convGeometry(site.op, xType, site.graph.getType(site.op.getOperand(1)),
                   site.graph.getType(site.op.getResult()));
  chooseConvTasks(g, c);
  // An epilogue needs NHWC bands; parts of the columns (a grouped
  // convolution's tasks are one group's) only if it takes them.
  bool grouped = g.groups > 1 && !qjit_qconv_is_depthwise(&g, &c);
  if (epilogue && (!c.channels_last || (grouped && !needs.columnParts)))
    epilogue = nullptr;
  if (epilogue && !needs.columnParts)
    chooseRowTasks(c, needs.rowMultiple);
  int64_t width = qjit_qconv_is_depthwise(&g, &c) ? c.channels : g.n;
  bool wholeRows = !grouped && c.columns_per_task >= width;
  GlobalVariable *desc = emitDescription(k, product);
  GlobalVariable *conv = emitConvDescription(k, c);
  PackedWeights weights = emitPackedWeights(k, site, desc, g);
  IRBuilderBase &b = k.b;
  Type *ptr = b.getPtrTy(), *i64 = b.getInt64Ty();
  Value *nhwc = siteOperand(k, site, 0);
  // The tasks read x in place, or the padded NHWC copy (no padding left).
  GlobalVariable *taskConv = conv;
  if (!readsInputInPlace(site.op, xType)) {
    qjit_qconv padded;
    qjit_qconv_padded(&c, &padded);
    taskConv = emitConvDescription(k, padded);
    // The NHWC image after the packed weights (if packed here).
    uint64_t at = site.scratchOffset + (site.prepacked ? 0 : packedBytes(g));
    nhwc = b.CreateConstGEP1_64(b.getInt8Ty(), k.scratch, at);
    int64_t pixelsPerBlock =
        std::max<int64_t>(1, c.channels * c.height * c.width * c.images /
                                 qjit_qconv_nhwc_blocks(&c));
    emitParallelFor(
        k, qjit_qconv_nhwc_blocks(&c), parallelGrain(pixelsPerBlock), {nhwc},
        [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin,
            Value *end) {
          chunk.b.CreateCall(runtimeFunction(k.module, "qjit_qconv_to_nhwc",
                                             {ptr, ptr, ptr, ptr, i64, i64}),
                             {desc, conv, siteOperand(chunk, site, 0),
                              captured[0], begin, end});
        });
  }
  SmallVector<Value *, 8> all{weights.packed, weights.offsets, nhwc};
  all.append(captures.begin(), captures.end());
  emitParallelFor(
      k, qjit_qconv_task_count(&g, &c), /*grain=*/1, all,
      [&](Kernel &chunk, ArrayRef<Value *> captured, Value *begin, Value *end) {
        auto tasks = [&](IRBuilderBase &b, Value *first, Value *last) {
          b.CreateCall(
              runtimeFunction(k.module, "qjit_qconv_tasks",
                              {ptr, ptr, ptr, ptr, ptr, ptr, i64, i64}),
              {desc, taskConv, captured[0], captured[1], captured[2],
               site.product(chunk), first, last});
        };
        if (!epilogue)
          return tasks(chunk.b, begin, end);
        // Task by task, each followed by the epilogue over what it wrote.
        Function *fn = chunk.b.GetInsertBlock()->getParent();
        IRBuilder<> entry(&fn->getEntryBlock(),
                          fn->getEntryBlock().getFirstInsertionPt());
        Value *region = entry.CreateAlloca(
            ArrayType::get(entry.getInt64Ty(), 4), nullptr, "region");
        emitLoop(
            chunk.b, begin, end, chunk.b.getInt64(1),
            [&](IRBuilderBase &b, Value *task) {
              tasks(b, task, b.CreateAdd(task, b.getInt64(1)));
              b.CreateCall(runtimeFunction(k.module, "qjit_qconv_task_region",
                                           {ptr, ptr, i64, ptr}),
                           {desc, taskConv, task, region});
              Value *bounds[4];
              for (int i = 0; i < 4; ++i)
                bounds[i] = b.CreateLoad(
                    b.getInt64Ty(),
                    b.CreateConstInBoundsGEP1_64(b.getInt64Ty(), region, i));
              epilogue(chunk, captured.drop_front(3),
                       {bounds[0], bounds[1], bounds[2], bounds[3], wholeRows});
            },
            "task");
      });
  return static_cast<bool>(epilogue);
}

} // namespace

const Operation *qlinearOf(const Operation &op) {
  if (op.getKind() == OpKind::QLinearMatMul ||
      op.getKind() == OpKind::QLinearConv2D)
    return &op;
  if (op.getKind() != OpKind::FusedElementwise || !op.getBody())
    return nullptr;
  const Operation &first = op.getBody()->getOps().front();
  return first.getKind() == OpKind::QLinearMatMul ||
                 first.getKind() == OpKind::QLinearConv2D
             ? &first
             : nullptr;
}

bool hasPrepackedWeights(const Graph &graph, const Operation &op) {
  const Operation *q = qlinearOf(op);
  if (!q)
    return false;
  // A fused body's inputs keep their ids: `graph` defines them.
  auto isConstant = [&](ValueId id) {
    const Operation *def = graph.getDefiningOp(id);
    return def && def->getKind() == OpKind::Constant;
  };
  return isConstant(q->getOperand(1)) &&
         (q->getNumOperands() < 3 || isConstant(q->getOperand(2)));
}

unsigned prepackedOperand(const Operation &op) {
  const Operation *q = qlinearOf(op);
  return llvm::find(op.getOperands(), q->getOperand(1)) -
         op.getOperands().begin();
}

Expected<std::shared_ptr<const DenseData>>
prepackQLinearWeights(const Graph &graph, const Operation &fusedOrQLinear) {
  const Operation &op = *qlinearOf(fusedOrQLinear);
  Product product = describe(graph, op, QJIT_ISA_SCALAR);
  const qjit_qgemm &g = product.desc;
  std::vector<uint8_t> w = *constantBytes(graph, op.getOperand(1));
  std::optional<std::vector<uint8_t>> bias;
  if (op.getNumOperands() > 2)
    bias = constantBytes(graph, op.getOperand(2));
  PackLayout layout = packLayout(op, graph.getType(op.getOperand(1)), g);
  return DenseData::create(packedBytes(g), [&](char *bytes) {
    auto *packed = reinterpret_cast<int8_t *>(bytes);
    std::vector<int32_t> biasValues;
    if (bias) {
      biasValues.resize(bias->size() / sizeof(int32_t));
      std::memcpy(biasValues.data(), bias->data(), bias->size());
    }
    qjit_qgemm_pack(&g, w.data(), layout.kStride, layout.nStride,
                    layout.groupStride, layout.taps,
                    bias ? biasValues.data() : nullptr, packed,
                    reinterpret_cast<int32_t *>(
                        bytes + alignTo64(qjit_qgemm_packed_bytes(&g))));
    return Error::success();
  });
}

uint64_t qlinearSiteScratchBytes(const Graph &graph, const Operation &op,
                                 bool prepacked) {
  Product product = describe(graph, op, QJIT_ISA_SCALAR);
  uint64_t bytes = prepacked ? 0 : packedBytes(product.desc);
  const TensorType &x = graph.getType(op.getOperand(0));
  if (op.getKind() == OpKind::QLinearConv2D && !readsInputInPlace(op, x)) {
    // The padded NHWC image (qjit_qconv_to_nhwc).
    qjit_qconv c = convGeometry(op, x, graph.getType(op.getOperand(1)),
                                graph.getType(op.getResult()));
    qjit_qconv padded;
    qjit_qconv_padded(&c, &padded);
    bytes += alignTo64(uint64_t(padded.images) * padded.channels *
                       padded.height * padded.width);
  }
  return alignTo64(bytes);
}

uint64_t qlinearScratchBytes(const Graph &graph, const Operation &op) {
  return qlinearSiteScratchBytes(graph, op, hasPrepackedWeights(graph, op));
}

bool emitQLinearAt(Kernel &k, const QLinearSite &site,
                   ArrayRef<Value *> captures, QLinearEpilogue epilogue,
                   EpilogueNeeds needs) {
  qjit_isa isa = chooseIsa(*k.b.GetInsertBlock()->getParent());
  Product product = describe(site.graph, site.op, isa);
  if (site.op.getKind() == OpKind::QLinearMatMul)
    return emitQLinearMatMul(k, site, product, captures, epilogue, needs);
  return emitQLinearConv2D(k, site, product, captures, epilogue, needs);
}

void emitQLinear(Kernel &k) {
  if (k.results[0].type.numElements() == 0)
    return;
  auto result = [](const Kernel &chunk) { return chunk.results[0].ptr; };
  QLinearSite site{
      k.graph, k.op, {0, 1, 2}, hasPrepackedWeights(k.graph, k.op), 0, result};
  emitQLinearAt(k, site, {}, nullptr, {});
}

} // namespace qjit
