# The lit suite and the JIT-heavy GoogleTest binaries once more, with the
# host the JIT sees narrowed to AVX2 (QJIT_HOST_FEATURES=-avx512f,
# lib/JIT/TargetSelection.h) and oneDNN's kernels capped to AVX2
# (ONEDNN_MAX_CPU_ISA): on an AVX-512 machine this runs the code paths of an
# AVX2-only CPU, the integer runtime's AVX2 kernels included (the JIT picks
# them from the target's features). Label avx2: `ctest -L avx2` runs only
# these, `ctest -LE avx2` everything else. Each binary is one test here
# (gtest_discover_tests registers the per-test entries of the normal run).
set(qjit_avx2_environment
  "QJIT_HOST_FEATURES=-avx512f;ONEDNN_MAX_CPU_ISA=AVX2")

add_test(NAME avx2.lit
  COMMAND ${Python3_EXECUTABLE} ${LLVM_EXTERNAL_LIT} -sv ${CMAKE_CURRENT_BINARY_DIR})
set(qjit_avx2_tests avx2.lit)

foreach(binary JitTests QLinearTests OpCoverageTests AutodiffTests
               DataConstantTests ConvertToIntegersTests)
  add_test(NAME avx2.${binary} COMMAND ${binary})
  list(APPEND qjit_avx2_tests avx2.${binary})
endforeach()

set_tests_properties(${qjit_avx2_tests} PROPERTIES
  LABELS avx2 ENVIRONMENT "${qjit_avx2_environment}")
# The two long ones first, so that on two cores they overlap the rest.
set_tests_properties(avx2.JitTests avx2.lit PROPERTIES COST 1000)
# Both lit runs write the same Output directories (%t): never at once (two
# at once removed each other's files: a test's `rm -rf %t` in one run while
# the other wrote there).
set_tests_properties(lit avx2.lit PROPERTIES RESOURCE_LOCK qjit_lit_output)
