# ONNX: the importer (lib/Import) reads models through the ONNX project's own
# protobuf classes (Debian 12: libonnx-dev 1.12 + libprotobuf-dev, see
# scripts/setup.sh). Defines the interface target qjit_onnx (onnx_proto,
# libprotobuf, ONNX_ML=1, ONNX_NAMESPACE=onnx) or stops the configure.
#
# ONNXTargets.cmake names protobuf::libprotobuf without finding it, so
# Protobuf is found first.
include_guard(GLOBAL)

find_package(Protobuf QUIET)
if(NOT TARGET protobuf::libprotobuf)
  message(FATAL_ERROR "qjit's ONNX importer needs protobuf: install Debian's "
    "libprotobuf-dev (scripts/setup.sh does)")
endif()
find_package(ONNX CONFIG QUIET)
if(NOT TARGET onnx_proto)
  message(FATAL_ERROR "qjit's ONNX importer needs ONNX's protobuf classes "
    "(ONNXConfig.cmake, onnx/onnx_pb.h, libonnx_proto): install Debian's "
    "libonnx-dev (scripts/setup.sh does)")
endif()
message(STATUS "Using ONNX ${ONNX_VERSION} and protobuf ${Protobuf_VERSION}")

add_library(qjit_onnx INTERFACE)
target_link_libraries(qjit_onnx INTERFACE onnx_proto protobuf::libprotobuf)
target_compile_definitions(qjit_onnx INTERFACE ONNX_ML=1 ONNX_NAMESPACE=onnx)
