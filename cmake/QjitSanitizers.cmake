# Sanitizer and fuzzer instrumentation (see docs/hardening.md).
#
#   QJIT_SANITIZE="address;undefined"  ASan + UBSan on every target
#   QJIT_SANITIZE="thread"             TSan on every target
#   QJIT_FUZZERS=ON                    libFuzzer targets in fuzz/; implies
#                                      address;undefined when QJIT_SANITIZE is
#                                      empty, and adds coverage instrumentation
#                                      (-fsanitize=fuzzer-no-link) to every
#                                      target so the libraries are guided too
#
# Both need clang (Debian's clang-19: -DCMAKE_CXX_COMPILER=clang++-19; not
# CMAKE_C_COMPILER, since qjit enables only C++ and LLVM's CMake package then
# fails in FindFFI's C check). LLVM, oneTBB, oneDNN, OpenBLAS, GoogleTest and
# libstdc++ stay uninstrumented: fine for ASan and UBSan, see scripts/tsan.supp
# for what that means under TSan.
#
# Included from the top-level CMakeLists.txt before any target is defined, so
# add_compile_options/add_link_options reach every target.

set(_qjit_san_known address undefined thread)
foreach(_s IN LISTS QJIT_SANITIZE)
  if(NOT _s IN_LIST _qjit_san_known)
    message(FATAL_ERROR
      "QJIT_SANITIZE: unknown sanitizer '${_s}' (use \"address;undefined\" or \"thread\")")
  endif()
endforeach()
if("thread" IN_LIST QJIT_SANITIZE AND
   ("address" IN_LIST QJIT_SANITIZE OR "undefined" IN_LIST QJIT_SANITIZE))
  message(FATAL_ERROR
    "QJIT_SANITIZE: 'thread' cannot be combined with 'address' or 'undefined'; "
    "configure a separate build directory for each")
endif()
if(QJIT_FUZZERS)
  if("thread" IN_LIST QJIT_SANITIZE)
    message(FATAL_ERROR "QJIT_FUZZERS needs ASan+UBSan, not QJIT_SANITIZE=thread")
  endif()
  if(NOT QJIT_SANITIZE)
    set(QJIT_SANITIZE address undefined)
  endif()
endif()

if(NOT QJIT_SANITIZE AND NOT QJIT_FUZZERS)
  return()
endif()

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "QJIT_SANITIZE / QJIT_FUZZERS need clang, but CMAKE_CXX_COMPILER is "
    "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Install clang-19 and "
    "libclang-rt-19-dev (scripts/setup.sh) and configure a fresh build directory "
    "with -DCMAKE_CXX_COMPILER=clang++-19")
endif()

list(JOIN QJIT_SANITIZE "," _qjit_san)
set(_qjit_san_flags -fsanitize=${_qjit_san} -fno-omit-frame-pointer
  -gline-tables-only)
if("undefined" IN_LIST QJIT_SANITIZE)
  # Every UBSan report is an error that stops the program (so ctest and lit see
  # it). -fsanitize=function is left out: it reads a signature word in front of
  # every indirect callee, and the callees here include JIT-compiled entry
  # points and kernels, which have none.
  list(APPEND _qjit_san_flags -fno-sanitize-recover=all -fno-sanitize=function)
endif()
if(QJIT_FUZZERS)
  list(APPEND _qjit_san_flags -fsanitize=fuzzer-no-link)
endif()
add_compile_options(${_qjit_san_flags})
add_link_options(-fsanitize=${_qjit_san})
message(STATUS "qjit: -fsanitize=${_qjit_san}, fuzzers ${QJIT_FUZZERS}")

# Make sure the runtime is there: without libclang-rt-19-dev clang fails only
# at the first link, with an obscure message.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=${_qjit_san}")
set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=${_qjit_san}")
check_cxx_source_compiles("int main() { return 0; }" QJIT_SANITIZER_RUNTIME_WORKS)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT QJIT_SANITIZER_RUNTIME_WORKS)
  message(FATAL_ERROR
    "clang cannot link with -fsanitize=${_qjit_san}: install libclang-rt-19-dev")
endif()
