# cmake --install <build> --prefix <prefix> installs
#   include/qjit/...            the public headers
#   lib/libQjit*.a              the static libraries
#   bin/iropt                   the driver
#   lib/cmake/qjit/             the package: find_package(qjit) gives
#                               qjit::qjit (every library) and qjit::IR,
#                               qjit::JIT, ... (each library alone)
# beside the Python module's own rules (python/CMakeLists.txt).
# examples/consumer is a project that uses the package; ctest builds it
# against an install of the current build (test example.find_package).
#
# Included last from the top-level CMakeLists.txt, once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QJIT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/qjit CACHE STRING
  "Where cmake --install puts qjitConfig.cmake, under the prefix")

# Every library made by qjit_add_library, and the runtime they call.
get_property(qjit_libraries GLOBAL PROPERTY QJIT_LIBRARIES)
list(APPEND qjit_libraries QjitRuntime)

add_library(qjit INTERFACE)
target_link_libraries(qjit INTERFACE ${qjit_libraries})
add_library(qjit::qjit ALIAS qjit)

# qjit::IR for QjitIR and so on; the interface targets that carry the
# dependencies' settings are exported too (static libraries pass their
# link dependencies on).
foreach(lib IN LISTS qjit_libraries)
  string(REGEX REPLACE "^Qjit" "" name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${name})
endforeach()
set(qjit_dependency_targets qjit_llvm_flags qjit_dnnl qjit_openblas qjit_onnx)
foreach(target IN LISTS qjit_dependency_targets)
  string(REGEX REPLACE "^qjit_" "" name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
endforeach()

install(TARGETS qjit ${qjit_libraries} ${qjit_dependency_targets}
  EXPORT qjitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/qjit
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# iropt finds libLLVM where it was linked from, wherever the prefix is.
set_target_properties(iropt PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS iropt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT qjitTargets NAMESPACE qjit::
  DESTINATION ${QJIT_INSTALL_CMAKEDIR})

# What qjitConfig.cmake needs to find oneDNN again: the library files' names
# and directories (cmake/QjitOneDNN.cmake).
set(QJIT_DNNL_LIBRARY_NAMES)
set(QJIT_DNNL_LIBRARY_DIRS)
foreach(lib IN LISTS QJIT_DNNL_LINK_LIBRARIES)
  get_filename_component(file ${lib} NAME)
  get_filename_component(dir ${lib} DIRECTORY)
  list(APPEND QJIT_DNNL_LIBRARY_NAMES ${file})
  list(APPEND QJIT_DNNL_LIBRARY_DIRS ${dir})
endforeach()
list(REMOVE_DUPLICATES QJIT_DNNL_LIBRARY_DIRS)
list(JOIN QJIT_DNNL_LIBRARY_NAMES " " QJIT_DNNL_LIBRARY_NAMES)
list(JOIN QJIT_DNNL_LIBRARY_DIRS " " QJIT_DNNL_LIBRARY_DIRS)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/qjitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/qjitConfig.cmake
  INSTALL_DESTINATION ${QJIT_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
# 0.x: any change of the minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/qjitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/qjitConfig.cmake
  ${PROJECT_BINARY_DIR}/qjitConfigVersion.cmake
  DESTINATION ${QJIT_INSTALL_CMAKEDIR})
