# oneDNN: the JIT's Float32 MatMul and Conv2D call dnnl_sgemm (Debian 12:
# libdnnl-dev 2.6, see scripts/setup.sh; bench/README.md says why). Defines
# the interface target qjit_dnnl (library, oneapi/dnnl/dnnl.h and the OpenMP
# runtime that Debian's build threads with) or stops the configure.
#
# Found by library and header rather than through the package's CMake config
# (dnnl-config.cmake), which requires OpenCL's development files for its GPU
# runtime (ocl-icd-opencl-dev, only recommended by libdnnl-dev); qjit uses the
# CPU engine alone, and libdnnl.so already links libOpenCL.so.1 itself.
include_guard(GLOBAL)
include(CheckSymbolExists)

find_library(QJIT_DNNL_LIBRARY NAMES dnnl)
find_path(QJIT_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
if(NOT QJIT_DNNL_LIBRARY OR NOT QJIT_DNNL_INCLUDE_DIR)
  message(FATAL_ERROR
    "qjit needs oneDNN (library and oneapi/dnnl/dnnl.h) for Float32 MatMul "
    "and Conv2D: install Debian's libdnnl-dev (scripts/setup.sh does). "
    "Found library: '${QJIT_DNNL_LIBRARY}', header dir: "
    "'${QJIT_DNNL_INCLUDE_DIR}'.")
endif()

# Debian builds oneDNN's CPU engine on OpenMP (libgomp). qjit splits products
# over its own oneTBB threads and keeps each dnnl_sgemm call on the thread
# that makes it (lib/JIT/BlasRuntime.cpp), through omp_set_num_threads: a
# function of the OpenMP runtime itself, which must then be linked directly
# (the linker does not resolve it through libdnnl's own dependency). A
# sequential build needs nothing; other runtimes are refused by the source.
file(STRINGS ${QJIT_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_config.h _dnnl_runtime
  REGEX "^#define DNNL_CPU_THREADING_RUNTIME ")
set(_dnnl_libs ${QJIT_DNNL_LIBRARY})
if(_dnnl_runtime MATCHES "DNNL_RUNTIME_OMP")
  # libgomp.so.1 by its full name: clang does not search gcc's directory,
  # where the unversioned libgomp.so link lives.
  find_library(QJIT_GOMP_LIBRARY NAMES gomp libgomp.so.1)
  if(NOT QJIT_GOMP_LIBRARY)
    message(FATAL_ERROR "oneDNN (${QJIT_DNNL_LIBRARY}) runs on OpenMP, but "
      "libgomp was not found (Debian: libgomp1)")
  endif()
  list(APPEND _dnnl_libs ${QJIT_GOMP_LIBRARY})
endif()

set(CMAKE_REQUIRED_INCLUDES ${QJIT_DNNL_INCLUDE_DIR})
set(CMAKE_REQUIRED_LIBRARIES ${_dnnl_libs})
check_symbol_exists(dnnl_sgemm oneapi/dnnl/dnnl.h QJIT_HAVE_DNNL_SGEMM)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT QJIT_HAVE_DNNL_SGEMM)
  message(FATAL_ERROR "${QJIT_DNNL_LIBRARY} with ${QJIT_DNNL_INCLUDE_DIR} "
    "does not provide dnnl_sgemm: install libdnnl-dev")
endif()
message(STATUS "Using oneDNN: ${_dnnl_libs} (${QJIT_DNNL_INCLUDE_DIR}, "
  "${_dnnl_runtime})")

# Paths of this build only: the installed package (cmake/qjitConfig.cmake.in)
# finds the libraries again by these names and directories, and consumers do
# not need oneDNN's header.
add_library(qjit_dnnl INTERFACE)
target_include_directories(qjit_dnnl SYSTEM INTERFACE
  $<BUILD_INTERFACE:${QJIT_DNNL_INCLUDE_DIR}>)
foreach(_lib IN LISTS _dnnl_libs)
  target_link_libraries(qjit_dnnl INTERFACE $<BUILD_INTERFACE:${_lib}>)
endforeach()
set(QJIT_DNNL_LINK_LIBRARIES ${_dnnl_libs} CACHE INTERNAL
  "The oneDNN and OpenMP libraries qjit_dnnl links")
