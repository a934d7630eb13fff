//===- GraphLowering.cpp - A graph to one LLVM module ---------------------===//
//
// Plans where every value lives (an input or output buffer, a static offset
// in the workspace, a constant global, a data constant's bytes, or, for a
// Reshape not returned, the bytes of its operand), emits one kernel function
// per op (but Constants and those Reshapes) and an entry that calls them in
// order (the C ABI of CodeGen.h).
//
// A data constant's bytes stay out of the module: the entry reads their
// address from the buffer table, so compile time does not grow with them
// and LLVM cannot fold loads of them element by element.
//
//===----------------------------------------------------------------------===//
#include "Kernel.h"
#include "WorkspacePlanner.h"
#include "qjit/CodeGen/CodeGen.h"
#include "qjit/IR/DenseData.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "qjit/IR/Printer.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"
#include <fmt/format.h>
#include <unordered_map>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {
namespace {

struct Location {
  enum Kind { Input, Output, Workspace, Global, Data } kind;
  // Input or output number, workspace offset, or data slot.
  uint64_t index = 0;
  GlobalVariable *global = nullptr;
};

// The values of a Constant op, converted to its element type, as raw data.
Constant *constantData(LLVMContext &ctx, const Operation &op,
                       const TensorType &type) {
  const Attribute &values = *op.getAttr("values");
  int64_t count = type.numElements();
  bool ints = values.isInt() || values.isIntList();
  SmallVector<int64_t> intValues;
  std::vector<double> floatValues;
  if (ints)
    intValues = values.isInt() ? SmallVector<int64_t>{values.getInt()}
                               : SmallVector<int64_t>(values.getIntList());
  else
    floatValues = values.getNumbers();
  size_t given = ints ? intValues.size() : floatValues.size();
  auto intAt = [&](int64_t i) { return intValues[given == 1 ? 0 : i]; };
  auto numberAt = [&](int64_t i) {
    return ints ? double(intAt(i)) : floatValues[given == 1 ? 0 : i];
  };

  auto build = [&](auto convert) {
    using T = decltype(convert(int64_t(0)));
    std::vector<T> data(count);
    for (int64_t i = 0; i < count; ++i)
      data[i] = convert(i);
    return ConstantDataArray::get(ctx, ArrayRef<T>(data));
  };
  switch (type.elementType) {
  case DataType::Float32:
    return build([&](int64_t i) {
      return ints ? static_cast<float>(intAt(i))
                  : static_cast<float>(numberAt(i));
    });
  case DataType::Float64:
    return build([&](int64_t i) {
      return ints ? static_cast<double>(intAt(i)) : numberAt(i);
    });
  case DataType::Int8:
  case DataType::UInt8:
    return build([&](int64_t i) { return static_cast<uint8_t>(intAt(i)); });
  case DataType::Int16:
    return build([&](int64_t i) { return static_cast<uint16_t>(intAt(i)); });
  case DataType::Int32:
    return build([&](int64_t i) { return static_cast<uint32_t>(intAt(i)); });
  case DataType::Int64:
    return build([&](int64_t i) { return static_cast<uint64_t>(intAt(i)); });
  case DataType::Bool:
    return build([&](int64_t i) { return uint8_t(numberAt(i) != 0); });
  }
  llvm_unreachable("unknown data type");
}

// Kernels of many buffers (a Concat of thousands of operands) take them
// through a table, an array the entry fills, instead of as parameters: a
// call with thousands of arguments made LLVM's interprocedural passes
// (CalledValuePropagation, IPSCCP) quadratic in their number. Such a kernel
// loses the noalias parameters, which only matter to loops that would
// vectorize across its buffers.
bool takesBufferTable(const Operation &op) {
  return op.getNumOperands() + op.getNumResults() > kManyKernelBuffers;
}

class GraphLowering {
public:
  GraphLowering(const Graph &graph, llvm::Module &module,
                const TargetMachine &tm)
      : graph(graph), module(module), ctx(module.getContext()), tm(tm) {}

  uint64_t planStorage();
  // Packs the constant weights of integer products (QLinear.cpp) into data
  // slots the kernels read instead of the weights.
  Error prepackWeights();
  Function *emitEntry(StringRef name);
  // The bytes of the data slots, in order.
  std::vector<std::shared_ptr<const DenseData>> takeData() {
    return std::move(data);
  }

private:
  void setTargetAttributes(Function &fn);
  Function *createKernelFunction(const Operation &op, size_t index);
  // What decides the code of `op`'s kernel: equal keys, one function.
  std::string kernelKey(const Operation &op, size_t index) const;
  Value *pointerTo(IRBuilderBase &b, ValueId id);
  // Loads the pointer to `v` from slot `slot` of a kernel's buffer table.
  Value *loadFromTable(IRBuilderBase &b, Value *table, unsigned slot,
                       ValueId v);
  unsigned pointerAlignment(ValueId id) const;
  unsigned dataSlot(const std::shared_ptr<const DenseData> &bytes);

  const Graph &graph;
  llvm::Module &module;
  LLVMContext &ctx;
  const TargetMachine &tm;
  DenseMap<ValueId, Location> where;
  DenseMap<size_t, uint64_t> scratchOffset; // op index -> workspace offset
  DenseSet<size_t> views; // Reshapes whose result shares the operand's bytes
  SmallVector<Value *, 8> bufferPointers; // inputs then outputs
  // Data slots: equal bytes share one.
  std::vector<std::shared_ptr<const DenseData>> data;
  std::unordered_multimap<uint64_t, unsigned> slotByHash;
  SmallVector<Value *, 4> dataPointers; // loaded by the entry
  DenseMap<size_t, unsigned> prepackedSlot; // op index -> data slot
  StringMap<Function *> kernelByKey;
  Value *workspace = nullptr;
};

uint64_t GraphLowering::planStorage() {
  ArrayRef<ValueId> inputs = graph.getInputs();
  ArrayRef<ValueId> outputs = graph.getOutputs();
  for (size_t i = 0; i < inputs.size(); ++i)
    where[inputs[i]] = {Location::Input, i};

  const std::vector<Operation> &ops = graph.getOps();
  // A Reshape is a view of its operand's bytes (no kernel) unless its result
  // is returned, which needs the bytes in the output buffer. A view keeps
  // its root (the value that owns the bytes) alive as long as it is used.
  DenseMap<ValueId, ValueId> root;
  auto rootOf = [&](ValueId v) {
    auto it = root.find(v);
    return it == root.end() ? v : it->second;
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].getKind() != OpKind::Reshape ||
        is_contained(outputs, ops[i].getResult()))
      continue;
    views.insert(i);
    root[ops[i].getResult()] = rootOf(ops[i].getOperand(0));
  }
  DenseMap<ValueId, size_t> lastUse; // of a root, through any view
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!views.contains(i))
      for (ValueId v : ops[i].getOperands())
        lastUse[rootOf(v)] = i;
    if (ops[i].getKind() != OpKind::Constant)
      continue;
    ValueId v = ops[i].getResult();
    const TensorType &type = graph.getType(v);
    if (const Attribute *bytes = ops[i].getAttr("data")) {
      where[v] = {Location::Data, dataSlot(bytes->getData())};
      continue;
    }
    Constant *data = constantData(ctx, ops[i], type);
    auto *global = new GlobalVariable(module, data->getType(), true,
                                      GlobalValue::PrivateLinkage, data,
                                      fmt::format("constant.t{}", v));
    global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    global->setAlignment(Align(64));
    where[v] = {Location::Global, 0, global};
  }
  // A computed value returned once is written straight to its output buffer;
  // inputs, constants and repeats are copied there at the end.
  for (size_t j = 0; j < outputs.size(); ++j)
    if (!where.count(outputs[j]))
      where[outputs[j]] = {Location::Output, j};

  WorkspacePlanner planner;
  auto bytesOf = [&](ValueId v) { return graph.getType(v).sizeInBytes(); };
  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation &op = ops[i];
    if (op.getKind() == OpKind::Constant)
      continue;
    if (views.contains(i)) {
      where[op.getResult()] = where[rootOf(op.getResult())];
      continue;
    }
    // Results and scratch are placed while the operands are still held, so
    // a kernel never writes over what it reads.
    for (ValueId r : op.getResults())
      if (!where.count(r))
        where[r] = {Location::Workspace, planner.allocate(bytesOf(r))};
    uint64_t scratchBytes = kernelScratchBytes(graph, op);
    scratchOffset[i] = planner.allocate(scratchBytes);
    planner.release(scratchOffset[i], scratchBytes);

    DenseSet<ValueId> released;
    auto releaseIfDead = [&](ValueId v, bool dead) {
      const Location &loc = where[v];
      if (dead && loc.kind == Location::Workspace && released.insert(v).second)
        planner.release(loc.index, bytesOf(v));
    };
    for (ValueId r : op.getResults())
      releaseIfDead(r, !lastUse.count(r));
    for (ValueId v : op.getOperands())
      releaseIfDead(rootOf(v), lastUse.lookup(rootOf(v)) == i);
  }
  return planner.size();
}

Error GraphLowering::prepackWeights() {
  const std::vector<Operation> &ops = graph.getOps();
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!hasPrepackedWeights(graph, ops[i]))
      continue;
    auto packed = prepackQLinearWeights(graph, ops[i]);
    if (!packed)
      return packed.takeError();
    prepackedSlot[i] = dataSlot(*packed);
  }
  return Error::success();
}

unsigned
GraphLowering::dataSlot(const std::shared_ptr<const DenseData> &bytes) {
  auto [begin, end] = slotByHash.equal_range(bytes->contentHash());
  for (auto it = begin; it != end; ++it)
    if (data[it->second]->sameBytes(*bytes))
      return it->second;
  slotByHash.emplace(bytes->contentHash(), data.size());
  data.push_back(bytes);
  return data.size() - 1;
}

void GraphLowering::setTargetAttributes(Function &fn) {
  fn.addFnAttr("target-cpu", tm.getTargetCPU());
  fn.addFnAttr("target-features", tm.getTargetFeatureString());
  // Streaming kernels are bandwidth bound: use the full register width
  // where the CPU's tuning would otherwise stop at 256 bits (Skylake-X).
  if (tm.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    fn.addFnAttr("prefer-vector-width", "512");
  fn.addFnAttr("no-trapping-math", "true");
  fn.addFnAttr(llvm::Attribute::NoUnwind);
}

unsigned GraphLowering::pointerAlignment(ValueId id) const {
  Location::Kind kind = where.find(id)->second.kind;
  if (kind == Location::Workspace || kind == Location::Global ||
      kind == Location::Data)
    return 64;
  return dataTypeSize(graph.getType(id).elementType);
}

Function *GraphLowering::createKernelFunction(const Operation &op,
                                              size_t index) {
  PointerType *ptrTy = PointerType::getUnqual(ctx);
  bool table = takesBufferTable(op);
  unsigned numParams =
      table ? 2 : op.getNumOperands() + op.getNumResults() + 1;
  SmallVector<Type *, 8> params(numParams, ptrTy);
  auto *fnTy = FunctionType::get(Type::getVoidTy(ctx), params, false);
  Function *fn =
      Function::Create(fnTy, GlobalValue::InternalLinkage,
                       fmt::format("{}.{}", op.getName().str(), index), module);
  setTargetAttributes(*fn);

  // The parameters' attributes, built into one AttributeList at the end:
  // adding them one by one copies the list each time.
  SmallVector<AttributeSet, 8> paramAttrs;
  auto describe = [&](ValueId v, bool isResult) {
    AttrBuilder attrs(ctx);
    attrs.addAttribute(llvm::Attribute::NoAlias);
    attrs.addAttribute(llvm::Attribute::NoCapture);
    attrs.addAttribute(isResult ? llvm::Attribute::WriteOnly
                                : llvm::Attribute::ReadOnly);
    attrs.addAlignmentAttr(Align(pointerAlignment(v)));
    if (uint64_t bytes = graph.getType(v).sizeInBytes())
      attrs.addDereferenceableAttr(bytes);
    paramAttrs.push_back(AttributeSet::get(ctx, attrs));
  };
  if (table) {
    AttrBuilder attrs(ctx);
    attrs.addAttribute(llvm::Attribute::NoAlias);
    attrs.addAttribute(llvm::Attribute::NoCapture);
    attrs.addAttribute(llvm::Attribute::ReadOnly);
    attrs.addDereferenceableAttr(
        uint64_t(op.getNumOperands() + op.getNumResults()) * sizeof(void *));
    paramAttrs.push_back(AttributeSet::get(ctx, attrs));
    // Never inlined into the entry (Optimize.cpp keeps NoInline).
    fn->addFnAttr(llvm::Attribute::NoInline);
  } else {
    for (ValueId v : op.getOperands())
      describe(v, false);
    for (ValueId v : op.getResults())
      describe(v, true);
  }
  AttrBuilder scratch(ctx); // the workspace
  scratch.addAttribute(llvm::Attribute::NoAlias);
  scratch.addAttribute(llvm::Attribute::NoCapture);
  scratch.addAlignmentAttr(Align(64));
  paramAttrs.push_back(AttributeSet::get(ctx, scratch));
  const AttributeList &current = fn->getAttributes();
  fn->setAttributes(AttributeList::get(ctx, current.getFnAttrs(),
                                       current.getRetAttrs(), paramAttrs));
  return fn;
}

Value *GraphLowering::loadFromTable(IRBuilderBase &b, Value *table,
                                    unsigned slot, ValueId v) {
  PointerType *ptrTy = PointerType::getUnqual(ctx);
  LoadInst *p = b.CreateLoad(
      ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, table, slot));
  auto constant = [&](uint64_t n) {
    return MDNode::get(ctx, ConstantAsMetadata::get(b.getInt64(n)));
  };
  p->setMetadata(LLVMContext::MD_align, constant(pointerAlignment(v)));
  if (uint64_t bytes = graph.getType(v).sizeInBytes()) {
    p->setMetadata(LLVMContext::MD_nonnull, MDNode::get(ctx, {}));
    p->setMetadata(LLVMContext::MD_dereferenceable, constant(bytes));
  }
  return p;
}

std::string GraphLowering::kernelKey(const Operation &op, size_t index) const {
  // A kernel's code depends on its op's kind and attributes (and a fused
  // op's body), its buffers' types and alignments, and whether its weights
  // come prepacked; never on the values of its operands (data constants
  // are passed as buffers).
  std::string key;
  raw_string_ostream os(key);
  os << op.getName();
  for (const NamedAttribute &attr : op.getAttrs())
    os << ' ' << attr.name << '=' << attr.value.toString();
  auto buffer = [&](ValueId v) {
    os << ' ' << graph.getType(v).toString() << '@' << pointerAlignment(v);
  };
  for (ValueId v : op.getOperands())
    buffer(v);
  os << " ->";
  for (ValueId v : op.getResults())
    buffer(v);
  if (prepackedSlot.count(index))
    os << " prepacked";
  if (const Graph *body = op.getBody()) {
    os << '\n';
    printGraph(os, *body);
  }
  return key;
}

Value *GraphLowering::pointerTo(IRBuilderBase &b, ValueId id) {
  const Location &loc = where.find(id)->second;
  switch (loc.kind) {
  case Location::Input:
    return bufferPointers[loc.index];
  case Location::Output:
    return bufferPointers[graph.getInputs().size() + loc.index];
  case Location::Workspace:
    return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), workspace, loc.index,
                                        fmt::format("t{}", id));
  case Location::Global:
    return loc.global;
  case Location::Data:
    return dataPointers[loc.index];
  }
  llvm_unreachable("unknown location");
}

Function *GraphLowering::emitEntry(StringRef name) {
  PointerType *ptrTy = PointerType::getUnqual(ctx);
  auto *fnTy = FunctionType::get(Type::getVoidTy(ctx), {ptrTy}, false);
  Function *entry =
      Function::Create(fnTy, GlobalValue::ExternalLinkage, name, module);
  setTargetAttributes(*entry);
  entry->addParamAttr(0, llvm::Attribute::NoCapture);
  entry->addParamAttr(0, llvm::Attribute::ReadOnly);
  Argument *buffers = entry->getArg(0);
  buffers->setName("buffers");

  IRBuilder<> b(BasicBlock::Create(ctx, "entry", entry));
  size_t numInputs = graph.getInputs().size();
  size_t numOutputs = graph.getOutputs().size();
  auto loadBuffer = [&](size_t i, const Twine &bufferName) {
    return b.CreateLoad(ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, buffers, i),
                        bufferName);
  };
  for (size_t i = 0; i < numInputs; ++i)
    bufferPointers.push_back(loadBuffer(i, "in" + Twine(i)));
  for (size_t j = 0; j < numOutputs; ++j)
    bufferPointers.push_back(loadBuffer(numInputs + j, "out" + Twine(j)));
  LoadInst *ws = loadBuffer(numInputs + numOutputs, "workspace");
  // The workspace is 64-byte aligned by contract.
  ws->setMetadata(LLVMContext::MD_align,
                  MDNode::get(ctx, ConstantAsMetadata::get(b.getInt64(64))));
  workspace = ws;
  // Data constants: 64-byte aligned (DenseData), readable for their size.
  for (size_t k = 0; k < data.size(); ++k) {
    LoadInst *p = loadBuffer(numInputs + numOutputs + 1 + k, "data" + Twine(k));
    p->setMetadata(LLVMContext::MD_align,
                   MDNode::get(ctx, ConstantAsMetadata::get(b.getInt64(64))));
    if (uint64_t bytes = data[k]->size()) {
      p->setMetadata(LLVMContext::MD_nonnull, MDNode::get(ctx, {}));
      p->setMetadata(
          LLVMContext::MD_dereferenceable,
          MDNode::get(ctx, ConstantAsMetadata::get(b.getInt64(bytes))));
    }
    dataPointers.push_back(p);
  }

  // One buffer table on the stack, as long as the longest any kernel takes.
  const std::vector<Operation> &ops = graph.getOps();
  uint64_t tableSlots = 0;
  for (const Operation &op : ops)
    if (takesBufferTable(op))
      tableSlots = std::max<uint64_t>(
          tableSlots, op.getNumOperands() + op.getNumResults());
  ArrayType *tableTy = ArrayType::get(ptrTy, tableSlots);
  AllocaInst *table =
      tableSlots ? b.CreateAlloca(tableTy, nullptr, "buffer.table") : nullptr;

  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation &op = ops[i];
    if (op.getKind() == OpKind::Constant || views.contains(i))
      continue;
    // Ops with the same kernel (a repeated layer) call one function.
    Function *&fn = kernelByKey[kernelKey(op, i)];
    bool emitted = fn;
    if (!emitted)
      fn = createKernelFunction(op, i);
    IRBuilder<> kernelBuilder(ctx);
    if (!emitted)
      kernelBuilder.SetInsertPoint(BasicBlock::Create(ctx, "entry", fn));
    Kernel kernel{graph, op, module, kernelBuilder, {}, {}, nullptr};
    bool viaTable = takesBufferTable(op);
    if (viaTable)
      kernel.bufferTable = fn->getArg(0);
    SmallVector<Value *, 8> args;
    auto pass = [&](ValueId v, SmallVectorImpl<KernelBuffer> &buffers) {
      unsigned slot = args.size();
      args.push_back(pointerTo(b, v));
      Value *inKernel = nullptr; // unused when the kernel exists already
      if (!emitted)
        inKernel = viaTable ? loadFromTable(kernelBuilder, kernel.bufferTable,
                                            slot, v)
                            : fn->getArg(slot);
      buffers.push_back({graph.getType(v), inKernel});
    };
    for (ValueId v : op.getOperands())
      pass(v, kernel.operands);
    // Prepacked weights take the place of the weights.
    if (auto it = prepackedSlot.find(i); it != prepackedSlot.end())
      args[prepackedOperand(op)] = dataPointers[it->second];
    for (ValueId v : op.getResults())
      pass(v, kernel.results);
    if (viaTable) {
      for (auto [slot, p] : enumerate(args))
        b.CreateStore(p, b.CreateConstInBoundsGEP2_64(tableTy, table, 0, slot));
      args.assign({table});
    }
    args.push_back(b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), workspace,
                                                scratchOffset[i], "scratch"));
    kernel.scratch = fn->getArg(fn->arg_size() - 1);
    b.CreateCall(fn, args);
    if (!emitted)
      emitKernelBody(kernel);
  }

  // Outputs not computed in place.
  for (size_t j = 0; j < numOutputs; ++j) {
    ValueId v = graph.getOutputs()[j];
    const Location &loc = where.find(v)->second;
    if (loc.kind == Location::Output && loc.index == j)
      continue;
    if (uint64_t bytes = graph.getType(v).sizeInBytes())
      b.CreateMemCpy(bufferPointers[numInputs + j], MaybeAlign(),
                     pointerTo(b, v), MaybeAlign(), bytes);
  }
  b.CreateRetVoid();
  return entry;
}

} // namespace

Expected<LoweredGraph> lowerGraph(const Graph &graph, LLVMContext &context,
                                  const TargetMachine &tm,
                                  StringRef entryName) {
  auto module = std::make_unique<llvm::Module>(
      fmt::format("qjit.{}", graph.getName().str()), context);
  module->setDataLayout(tm.createDataLayout());
  module->setTargetTriple(tm.getTargetTriple().str());

  // Constants with `values` are written into the module element by element
  // (data constants are not: their bytes are bound at run time).
  constexpr uint64_t kMaxConstantBytes = uint64_t(64) << 20;
  for (const Operation &op : graph.getOps()) {
    if (op.getKind() != OpKind::Constant || op.hasAttr("data"))
      continue;
    uint64_t bytes = graph.getType(op.getResult()).sizeInBytes();
    if (bytes > kMaxConstantBytes)
      return makeError("Constant t{} of graph @{} has {} bytes, more than the "
                       "64 MiB a constant with values may have (write a large "
                       "splat as a Broadcast of a scalar Constant, other "
                       "large tensors as data)",
                       op.getResult(), graph.getName().str(), bytes);
  }

  GraphLowering lowering(graph, *module, tm);
  LoweredGraph lowered;
  lowered.workspaceSize = lowering.planStorage();
  if (Error err = lowering.prepackWeights())
    return err;
  lowering.emitEntry(entryName);
  lowered.data = lowering.takeData();
  if (llvm::verifyModule(*module, &errs()))
    return makeError("internal error: the LLVM IR of graph @{} is invalid",
                     graph.getName().str());
  lowered.module = std::move(module);
  lowered.entryName = entryName.str();
  return lowered;
}

} // namespace qjit
