//===- GlobalConstants.cpp - Tables of constants in the module ------------===//
#include "GlobalConstants.h"

using namespace llvm;

namespace qjit {

GlobalVariable *createConstantArray(Module &module, Type *elemTy,
                                    ArrayRef<Constant *> elements,
                                    const Twine &name) {
  ArrayType *arrayTy = ArrayType::get(elemTy, elements.size());
  auto *global = new GlobalVariable(
      module, arrayTy, /*isConstant=*/true, GlobalValue::PrivateLinkage,
      ConstantArray::get(arrayTy, elements), name);
  global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  global->setAlignment(Align(64));
  return global;
}

} // namespace qjit
