# The ctest test example.find_package (registered in examples/CMakeLists.txt):
# installs the build into WORK_DIR/prefix, then configures, builds and runs
# examples/consumer against that prefix alone, with the build's generator and
# compiler.
#
#   cmake -DBUILD_DIR=... -DWORK_DIR=... -DCONSUMER_DIR=... -DGENERATOR=...
#         [-DMAKE_PROGRAM=...] -DCXX_COMPILER=... [-DCXX_COMPILER_LAUNCHER=...]
#         -DBUILD_TYPE=... -DSOURCE_DIR=... -P install_and_build_consumer.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var BUILD_DIR WORK_DIR CONSUMER_DIR GENERATOR CXX_COMPILER BUILD_TYPE
            SOURCE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_and_build_consumer.cmake needs -D${var}=...")
  endif()
endforeach()

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (${rc}): ${ARGN}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The package must not point back into the tree it was built from.
file(GLOB package_files ${prefix}/lib/cmake/qjit/*.cmake)
foreach(file IN LISTS package_files)
  file(READ ${file} text)
  foreach(tree ${SOURCE_DIR} ${BUILD_DIR})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} names ${tree}")
    endif()
  endforeach()
endforeach()

set(configure_args -S ${CONSUMER_DIR} -B ${consumer_build} -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_PREFIX_PATH=${prefix})
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(CXX_COMPILER_LAUNCHER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_COMPILER_LAUNCHER})
endif()
run("configuring the consumer" ${CMAKE_COMMAND} ${configure_args})

# find_package(qjit) took the install, not another copy.
file(STRINGS ${consumer_build}/CMakeCache.txt qjit_dir REGEX "^qjit_DIR:")
string(REGEX REPLACE "^qjit_DIR:[A-Z]+=" "" qjit_dir "${qjit_dir}")
cmake_path(IS_PREFIX prefix "${qjit_dir}" NORMALIZE from_prefix)
if(NOT from_prefix)
  message(FATAL_ERROR "the consumer found qjit at '${qjit_dir}', not in ${prefix}")
endif()

run("building the consumer" ${CMAKE_COMMAND} --build ${consumer_build})
run("running the consumer" ${consumer_build}/qjit_consumer)
# The installed driver runs too (it finds libLLVM from the prefix).
run("running the installed iropt" ${prefix}/bin/iropt
  ${SOURCE_DIR}/examples/qat_block.qir --run)
