#!/bin/sh
# Builds the libmemo reader fuzz target with clang (libFuzzer + ASan + UBSan) into build/fuzz/
# and runs it for a bounded time on a scratch copy of the seed corpus. Exits non-zero when the
# fuzzer finds a crash, a leak or a timeout (it leaves the reproducer in build/fuzz/).
#   FUZZ_SECONDS   total fuzzing time (default 30)
set -eu
cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
mkdir -p "$OUT"
# The generated schema table comes from the normal build.
[ -f build/gen/schemas_embed.c ] || make MODE=release all
PKGS="libxml-2.0 cmocka sqlite3 libmicrohttpd jansson libcurl libarchive liblzma libcrypto"
SRCS="$(ls src/memo/*.c src/util/*.c) build/gen/schemas_embed.c"
# shellcheck disable=SC2086
$CC -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc -Ibuild/gen $(pkg-config --cflags $PKGS) \
    -o "$OUT/fuzz_memo_reader" tests/fuzz/fuzz_memo_reader.c $SRCS \
    $(pkg-config --libs $PKGS) -lpthread -lm

WORK="$OUT/corpus_memo_reader"
rm -rf "$WORK"
mkdir -p "$WORK"
cp tests/fuzz/corpus/memo_reader/* "$WORK/"
cd "$OUT"
./fuzz_memo_reader -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -print_final_stats=1 corpus_memo_reader
