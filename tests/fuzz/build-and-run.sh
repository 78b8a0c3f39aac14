#!/bin/sh
# Builds the fuzz targets (memo reader, base64 validator) with clang (libFuzzer + ASan + UBSan) into build/fuzz/
# through `make fuzz-build` and runs it for a bounded time on a scratch copy of the seed
# corpus. Exits non-zero when the fuzzer finds a crash, a leak or a timeout (it leaves the reproducer in build/fuzz/).
#   FUZZ_SECONDS   total fuzzing time (default 30)
set -eu
cd "$(dirname "$0")/../.."
OUT=build/fuzz
# The Makefile builds the target (clang, libFuzzer + ASan + UBSan) with its fuzz package list.
make -s fuzz-build FUZZ_CC="${FUZZ_CC:-clang}"

WORK="$OUT/corpus_memo_reader"
rm -rf "$WORK"
mkdir -p "$WORK"
cp tests/fuzz/corpus/memo_reader/* "$WORK/"
cd "$OUT"
./fuzz_memo_reader -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -print_final_stats=1 corpus_memo_reader
# the one base64 validator against a plain reference (no seed corpus needed)
rm -rf corpus_base64
mkdir -p corpus_base64
./fuzz_base64 -max_total_time="${FUZZ_BASE64_SECONDS:-10}" -rss_limit_mb=2048 -timeout=10 \
    -max_len=4096 -print_final_stats=1 corpus_base64
