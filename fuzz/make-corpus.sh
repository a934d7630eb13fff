#!/usr/bin/env bash
# Writes the fuzzers' seed corpora into OUTDIR (default build-asan/fuzz-seeds):
#   OUTDIR/qir  every lit test and example graph (test/**/*.qir, examples/*.qir),
#               one seed per `// -----` case, full-line comments (RUN/CHECK) dropped
#   OUTDIR/npy  test/unit/data/npy/*.npy
#   OUTDIR/onnx test/Import/onnx/*.onnx (scripts/gen_onnx_tests.py's models)
# plus the kept regression inputs, fuzz/regressions/<target>/* (unless
# QJIT_FUZZ_SKIP_REGRESSIONS=1: to look for new bugs while known ones are open).
# ParserFuzzer and JitFuzzer read OUTDIR/qir, NpyFuzzer OUTDIR/npy,
# OnnxImportFuzzer OUTDIR/onnx.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build-asan/fuzz-seeds}"
rm -rf "$out"
mkdir -p "$out/qir" "$out/npy" "$out/onnx"

n=0
while IFS= read -r -d '' f; do
  base="$(echo "${f#"$root"/}" | tr '/' '_')"
  awk -v prefix="$out/qir/${base%.qir}" '
    BEGIN { k = 0; file = prefix "." k ".qir"; printf "" > file }
    /^[ \t]*\/\/ -----[ \t]*$/ { close(file); k++; file = prefix "." k ".qir"; printf "" > file; next }
    /^[ \t]*\/\// { next }
    { print > file }
  ' "$f"
  n=$((n + 1))
done < <(find "$root/test" "$root/examples" -name '*.qir' -print0)
# Cases that were only comments are empty files: drop them.
find "$out/qir" -type f -empty -delete

cp "$root"/test/unit/data/npy/*.npy "$out/npy/"
cp "$root"/test/Import/onnx/*.onnx "$out/onnx/"
if [[ "${QJIT_FUZZ_SKIP_REGRESSIONS:-0}" != 1 ]]; then
for t in ParserFuzzer JitFuzzer; do
  [[ -d "$root/fuzz/regressions/$t" ]] && cp "$root/fuzz/regressions/$t"/* "$out/qir/" 2>/dev/null || true
done
[[ -d "$root/fuzz/regressions/NpyFuzzer" ]] && cp "$root/fuzz/regressions/NpyFuzzer"/* "$out/npy/" 2>/dev/null || true
[[ -d "$root/fuzz/regressions/OnnxImportFuzzer" ]] && cp "$root/fuzz/regressions/OnnxImportFuzzer"/* "$out/onnx/" 2>/dev/null || true
fi

echo "make-corpus: $n .qir files -> $(ls "$out/qir" | wc -l) seeds in $out/qir," \
     "$(ls "$out/npy" | wc -l) seeds in $out/npy, $(ls "$out/onnx" | wc -l) in $out/onnx"
