#!/usr/bin/env bash
# Sanitizer builds and their test runs (see docs/hardening.md).
#
#   scripts/sanitizers.sh                  ASan+UBSan build in build-asan, whole ctest suite
#   scripts/sanitizers.sh --tsan           TSan build in build-tsan, the threaded tests
#   scripts/sanitizers.sh --configure-only configure build-asan, nothing else
#
# build-asan also has libFuzzer coverage (QJIT_FUZZERS=ON), so scripts/fuzz.sh
# builds the fuzzers there without a third build. Environment: QJIT_ASAN_BUILD,
# QJIT_TSAN_BUILD (build directories), QJIT_JOBS (default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="${QJIT_JOBS:-2}"
mode="${1:-asan}"
mode="${mode#--}"

# clang for C too: the sanitizer flags apply to the C example of AOT
# bundles (examples/bundle), which gcc would reject (-fsanitize=fuzzer-no-link).
common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-19
  -DCMAKE_CXX_COMPILER=clang++-19)
symbolizer=/usr/lib/llvm-19/bin/llvm-symbolizer

# Every report is fatal and ends in abort(), a signal: lit's `not` (tests that
# expect iropt to fail) then still counts a sanitizer report as a failure,
# which it would not for ASan's default exit code 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"
export ASAN_SYMBOLIZER_PATH="$symbolizer"

case "$mode" in
  asan | configure-only)
    build="${QJIT_ASAN_BUILD:-build-asan}"
    nice -n 10 cmake -S . -B "$build" "${common[@]}" \
      "-DQJIT_SANITIZE=address;undefined" -DQJIT_FUZZERS=ON
    [[ "$mode" == configure-only ]] && exit 0
    nice -n 10 ninja -C "$build" -j"$jobs"
    # Not the model tests (label models): whole networks under ASan take
    # minutes each, and the importer and kernels they use are covered here
    # by their own tests and the fuzzers. Nor the second, AVX2-narrowed run
    # of the JIT tests (label avx2), which would double their time here.
    nice -n 10 ctest --test-dir "$build" --output-on-failure -j"$jobs" -LE 'models|avx2'
    ;;
  tsan)
    build="${QJIT_TSAN_BUILD:-build-tsan}"
    nice -n 10 cmake -S . -B "$build" "${common[@]}" -DQJIT_SANITIZE=thread \
      -DQJIT_BUILD_BENCHMARKS=OFF
    # Only the test binaries with threaded tests.
    nice -n 10 ninja -C "$build" -j"$jobs" JitTests DiskCacheTests QLinearTests
    # Suppressions name oneTBB internals only, each with its reason; the
    # fork/join edges libtbb.so provides are annotated in lib/Runtime
    # (TsanEdges.h). Any report fails the run.
    export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp:external_symbolizer_path=$symbolizer}"
    # Every test that runs kernels on several threads or uses one Jit or
    # disk cache from several threads.
    "$build/test/unit/JitTests" \
      --gtest_filter='JitParallel*:FuseElementwise*:JitThreads*:JitGemm.*:Stress.*:RunFailure.*:SplitCompile.*'
    "$build/test/unit/DiskCacheTests" --gtest_filter='DiskCacheJit.*'
    # The integer kernels at 1 and 2 threads: thread-local panels, tasks
    # split over rows and columns, fused epilogues run by the thread that
    # wrote a band.
    "$build/test/unit/QLinearTests"
    ;;
  *)
    echo "usage: $0 [--asan | --tsan | --configure-only]" >&2
    exit 2
    ;;
esac
