# Third-party dependencies, all from Debian 12 packages (see scripts/setup.sh).

# find_package(LLVM 19 CONFIG) rejects Debian's 19.1.7 (LLVM's version file wants
# major.minor equal), so find it by location and check the major version ourselves.
find_package(LLVM REQUIRED CONFIG HINTS /usr/lib/llvm-19/lib/cmake/llvm)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "qjit needs LLVM 19, found ${LLVM_PACKAGE_VERSION} at ${LLVM_DIR}")
endif()
message(STATUS "Using LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR}")

find_package(fmt REQUIRED)
find_package(Threads REQUIRED)
# oneTBB runs the kernels' parallel loops (lib/JIT/ParallelRuntime.cpp).
find_package(TBB REQUIRED CONFIG)

# Every qjit library sees LLVM's headers and definitions; linking picks components.
add_library(qjit_llvm_flags INTERFACE)
# (The installed package adds the include directory of the LLVM it finds.)
target_include_directories(qjit_llvm_flags SYSTEM INTERFACE
  $<BUILD_INTERFACE:${LLVM_INCLUDE_DIRS}>)
separate_arguments(_llvm_defs NATIVE_COMMAND ${LLVM_DEFINITIONS})
target_compile_definitions(qjit_llvm_flags INTERFACE ${_llvm_defs})
if(NOT LLVM_ENABLE_RTTI)
  target_compile_options(qjit_llvm_flags INTERFACE -fno-rtti)
endif()

# Debian ships LLVM as one shared library; link it when present (fast links),
# otherwise fall back to the component libraries.
function(qjit_link_llvm target)
  if(LLVM_LINK_LLVM_DYLIB OR TARGET LLVM)
    target_link_libraries(${target} PUBLIC LLVM)
  else()
    llvm_map_components_to_libnames(_libs ${ARGN})
    target_link_libraries(${target} PUBLIC ${_libs})
  endif()
endfunction()

# qjit_add_library(name SOURCES... DEPENDS libs... LLVM components...)
function(qjit_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;LLVM" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  # Installed with the headers' directory (cmake/QjitInstall.cmake); lib/
  # holds private headers only.
  target_include_directories(${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/lib)
  # The public headers use C++20 (concepts).
  target_compile_features(${name} PUBLIC cxx_std_20)
  set_property(GLOBAL APPEND PROPERTY QJIT_LIBRARIES ${name})
  target_link_libraries(${name} PUBLIC qjit_llvm_flags fmt::fmt ${ARG_DEPENDS})
  qjit_link_llvm(${name} ${ARG_LLVM})
endfunction()

# ONNX and protobuf, for the ONNX importer (lib/Import).
include(QjitOnnx)
