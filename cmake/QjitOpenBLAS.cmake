# OpenBLAS: the JIT's float MatMul and Conv2D call cblas_sgemm/cblas_dgemm
# (Debian 12: libopenblas-dev, see scripts/setup.sh). Defines the interface
# target qjit_openblas (library + cblas.h) or stops the configure.
include_guard(GLOBAL)
include(CheckSymbolExists)

set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
# Debian keeps OpenBLAS's cblas.h per variant; the bare cblas.h may be
# netlib's, which lacks openblas_set_num_threads (checked below).
find_path(QJIT_OPENBLAS_INCLUDE_DIR cblas.h
  PATH_SUFFIXES openblas-pthread openblas-openmp openblas-serial openblas
  NO_CACHE)
if(NOT BLAS_FOUND OR NOT QJIT_OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR
    "qjit needs OpenBLAS (library and cblas.h) for MatMul and Conv2D: "
    "install Debian's libopenblas-dev (scripts/setup.sh does). "
    "Found library: '${BLAS_LIBRARIES}', header dir: "
    "'${QJIT_OPENBLAS_INCLUDE_DIR}'.")
endif()

set(CMAKE_REQUIRED_INCLUDES ${QJIT_OPENBLAS_INCLUDE_DIR})
set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES})
check_symbol_exists(cblas_sgemm cblas.h QJIT_HAVE_CBLAS_SGEMM)
check_symbol_exists(openblas_set_num_threads cblas.h
  QJIT_HAVE_OPENBLAS_SET_NUM_THREADS)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT QJIT_HAVE_CBLAS_SGEMM OR NOT QJIT_HAVE_OPENBLAS_SET_NUM_THREADS)
  message(FATAL_ERROR
    "${QJIT_OPENBLAS_INCLUDE_DIR}/cblas.h with ${BLAS_LIBRARIES} is not "
    "OpenBLAS's CBLAS (cblas_sgemm, openblas_set_num_threads): install "
    "libopenblas-dev")
endif()
message(STATUS "Using OpenBLAS: ${BLAS_LIBRARIES} (${QJIT_OPENBLAS_INCLUDE_DIR})")

# BLAS::BLAS (FindBLAS's target) rather than its paths, so the installed
# package finds OpenBLAS again with find_dependency(BLAS); consumers do not
# need cblas.h.
add_library(qjit_openblas INTERFACE)
target_include_directories(qjit_openblas SYSTEM INTERFACE
  $<BUILD_INTERFACE:${QJIT_OPENBLAS_INCLUDE_DIR}>)
target_link_libraries(qjit_openblas INTERFACE BLAS::BLAS)
