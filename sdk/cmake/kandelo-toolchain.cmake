# kandelo-toolchain.cmake — CMake toolchain file for Kandelo for Linux guests.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=<repo>/sdk/cmake/kandelo-toolchain.cmake -S . -B build
#
# Guests are static wasm32 modules using the Linux syscall ABI, so the system is
# "Linux" on processor "wasm32", without shared libraries.  The compiler is
# kandelo-cc; the sysroot is resolved once here (built on demand, see
# sdk/build-sysroot.sh) and passed to kandelo-cc through KANDELO_SYSROOT.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

get_filename_component(KANDELO_SDK_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

if(DEFINED ENV{KANDELO_SYSROOT} AND NOT "$ENV{KANDELO_SYSROOT}" STREQUAL "")
  set(KANDELO_SYSROOT "$ENV{KANDELO_SYSROOT}")
else()
  execute_process(
    COMMAND "${KANDELO_SDK_DIR}/build-sysroot.sh" --print-sysroot
    OUTPUT_VARIABLE KANDELO_SYSROOT
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _kandelo_rc)
  if(NOT _kandelo_rc EQUAL 0 OR KANDELO_SYSROOT STREQUAL "")
    message(FATAL_ERROR "kandelo: building the sysroot failed (run ${KANDELO_SDK_DIR}/build-sysroot.sh)")
  endif()
  # try_compile projects and the build itself re-use the resolved sysroot.
  set(ENV{KANDELO_SYSROOT} "${KANDELO_SYSROOT}")
endif()
# Make the value visible to try_compile() sub-projects, which re-read this file.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KANDELO_SYSROOT)

set(CMAKE_C_COMPILER "${KANDELO_SDK_DIR}/bin/kandelo-cc")
set(CMAKE_AR "${KANDELO_SDK_DIR}/bin/kandelo-ar" CACHE FILEPATH "kandelo-ar")
set(CMAKE_RANLIB "${KANDELO_SDK_DIR}/bin/kandelo-ranlib" CACHE FILEPATH "kandelo-ranlib")
set(CMAKE_NM "${KANDELO_SDK_DIR}/bin/kandelo-nm" CACHE FILEPATH "kandelo-nm")
set(CMAKE_STRIP "${KANDELO_SDK_DIR}/bin/kandelo-strip" CACHE FILEPATH "kandelo-strip")
set(PKG_CONFIG_EXECUTABLE "${KANDELO_SDK_DIR}/bin/kandelo-pkg-config" CACHE FILEPATH "kandelo-pkg-config")

# Look for headers and libraries only in the sysroot, for programs only on the host.
set(CMAKE_FIND_ROOT_PATH "${KANDELO_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static modules only.
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
set(BUILD_SHARED_LIBS OFF CACHE BOOL "Kandelo guests are static")
set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
# Guest programs cannot run on the build machine (no emulator wired in yet).
set(CMAKE_CROSSCOMPILING_EMULATOR "")
