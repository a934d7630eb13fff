//===- VectorLibrary.cpp - glibc's libmvec for LoopVectorize --------------===//
//
// LLVM 19's LIBMVEC-X86 table maps exp, log and pow (and sin, cos, tan) to
// glibc's SSE and AVX2 variants only. glibc (2.35 and later) also exports
// tanh and erf, and AVX-512 variants of all of them (_ZGVeN16v_expf, ...):
// we add those mappings, so that loops calling them vectorize at the full
// register width. The JIT resolves the _ZGV* symbols from libmvec.so.1.
//
// Vector function ABI names: _ZGV<isa><mask><lanes><args>_<scalar>, with isa
// b = SSE4, d = AVX2, e = AVX-512; N = unmasked; v = one vector argument.
//
//===----------------------------------------------------------------------===//
#include "VectorLibrary.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace qjit {
namespace {

struct Mapping {
  const char *scalar, *vector, *abi;
  unsigned lanes;
};

// Not in LLVM 19's table: tanh and erf on SSE and AVX2.
const Mapping kNarrow[] = {
    {"tanhf", "_ZGVbN4v_tanhf", "_ZGV_LLVM_N4v", 4},
    {"tanhf", "_ZGVdN8v_tanhf", "_ZGV_LLVM_N8v", 8},
    {"tanh", "_ZGVbN2v_tanh", "_ZGV_LLVM_N2v", 2},
    {"tanh", "_ZGVdN4v_tanh", "_ZGV_LLVM_N4v", 4},
    {"erff", "_ZGVbN4v_erff", "_ZGV_LLVM_N4v", 4},
    {"erff", "_ZGVdN8v_erff", "_ZGV_LLVM_N8v", 8},
    {"erf", "_ZGVbN2v_erf", "_ZGV_LLVM_N2v", 2},
    {"erf", "_ZGVdN4v_erf", "_ZGV_LLVM_N4v", 4},
};

// AVX-512 variants, for the intrinsics and the library names alike.
const Mapping kWide[] = {
    {"expf", "_ZGVeN16v_expf", "_ZGV_LLVM_N16v", 16},
    {"llvm.exp.f32", "_ZGVeN16v_expf", "_ZGV_LLVM_N16v", 16},
    {"exp", "_ZGVeN8v_exp", "_ZGV_LLVM_N8v", 8},
    {"llvm.exp.f64", "_ZGVeN8v_exp", "_ZGV_LLVM_N8v", 8},
    {"logf", "_ZGVeN16v_logf", "_ZGV_LLVM_N16v", 16},
    {"llvm.log.f32", "_ZGVeN16v_logf", "_ZGV_LLVM_N16v", 16},
    {"log", "_ZGVeN8v_log", "_ZGV_LLVM_N8v", 8},
    {"llvm.log.f64", "_ZGVeN8v_log", "_ZGV_LLVM_N8v", 8},
    {"powf", "_ZGVeN16vv_powf", "_ZGV_LLVM_N16vv", 16},
    {"llvm.pow.f32", "_ZGVeN16vv_powf", "_ZGV_LLVM_N16vv", 16},
    {"pow", "_ZGVeN8vv_pow", "_ZGV_LLVM_N8vv", 8},
    {"llvm.pow.f64", "_ZGVeN8vv_pow", "_ZGV_LLVM_N8vv", 8},
    {"tanhf", "_ZGVeN16v_tanhf", "_ZGV_LLVM_N16v", 16},
    {"tanh", "_ZGVeN8v_tanh", "_ZGV_LLVM_N8v", 8},
    {"erff", "_ZGVeN16v_erff", "_ZGV_LLVM_N16v", 16},
    {"erf", "_ZGVeN8v_erf", "_ZGV_LLVM_N8v", 8},
};

void addMappings(TargetLibraryInfoImpl &tlii, ArrayRef<Mapping> mappings) {
  SmallVector<VecDesc, 16> descs;
  for (const Mapping &m : mappings)
    descs.emplace_back(m.scalar, m.vector, ElementCount::getFixed(m.lanes),
                       /*Masked=*/false, m.abi);
  tlii.addVectorizableFunctions(descs);
}

} // namespace

StringRef vectorMathLibrary(const TargetMachine &tm) {
  const Triple &triple = tm.getTargetTriple();
  if (triple.getArch() == Triple::x86_64 && triple.isOSLinux() &&
      triple.isGNUEnvironment())
    return "libmvec.so.1";
  return "";
}

void addVectorLibrary(TargetLibraryInfoImpl &tlii, const TargetMachine &tm) {
  if (vectorMathLibrary(tm).empty())
    return;
  tlii.addVectorizableFunctionsFromVecLib(TargetLibraryInfoImpl::LIBMVEC_X86,
                                          tm.getTargetTriple());
  // glibc's variants are IFUNCs that fall back to narrower code on CPUs
  // without the ISA; the AVX-512 ones are only worth it with 512-bit vectors.
  addMappings(tlii, kNarrow);
  if (tm.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    addMappings(tlii, kWide);
}

} // namespace qjit
