#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 120) and fails on any crash,
# hang (-timeout=10), out-of-memory (-rss_limit_mb=2048) or sanitizer report.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: ParserFuzzer JitFuzzer NpyFuzzer
#                                             OnnxImportFuzzer
#
# Uses the ASan+UBSan build in $QJIT_ASAN_BUILD (default build-asan), made by
# scripts/sanitizers.sh --configure-only if missing, and builds the fuzzers
# there. Seeds: fuzz/make-corpus.sh (lit tests, examples, .npy test data,
# fuzz/regressions). The grown corpus stays in BUILD/fuzz-corpus/TARGET, crash
# inputs land in BUILD/fuzz-artifacts/TARGET/ (keep a bug's input in
# fuzz/regressions/TARGET/ once found).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-120}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(ParserFuzzer JitFuzzer NpyFuzzer OnnxImportFuzzer)
build="${QJIT_ASAN_BUILD:-build-asan}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  QJIT_ASAN_BUILD="$build" scripts/sanitizers.sh --configure-only
fi
nice -n 10 ninja -C "$build" -j"${QJIT_JOBS:-2}" "${targets[@]}"
fuzz/make-corpus.sh "$build/fuzz-seeds" >/dev/null

# libFuzzer sets its own ASan defaults; these make every report fatal and
# symbolized. (Leak checking stays on: see docs/hardening.md.)
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:symbolize=1}"
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-19/bin/llvm-symbolizer}"

# QJIT_FUZZ_SEED fixes libFuzzer's mutation sequence (CI sets it, so a run
# can be repeated); unset, every run explores differently.
seed=()
[[ -n "${QJIT_FUZZ_SEED:-}" ]] && seed=(-seed="$QJIT_FUZZ_SEED")

failed=()
for t in "${targets[@]}"; do
  case "$t" in
    NpyFuzzer) seeds="$build/fuzz-seeds/npy"; dict=() ;;
    OnnxImportFuzzer) seeds="$build/fuzz-seeds/onnx"; dict=() ;;
    *) seeds="$build/fuzz-seeds/qir"; dict=(-dict="$root/fuzz/qir.dict") ;;
  esac
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  echo "fuzz: $t for ${seconds}s (log $log)"
  start=$SECONDS
  rc=0
  "$build/fuzz/$t" "$corpus" "$seeds" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 "${seed[@]}" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    >"$log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  echo "fuzz: $t: exit $rc, ${execs:-?} executions in $((SECONDS - start))s," \
       "corpus $(ls "$corpus" | wc -l) files"
  if ((rc != 0)); then
    failed+=("$t")
    grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer)|runtime error:|==ERROR" "$log" || true
    tail -n 60 "$log"
    ls -1 "$artifacts"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings"
