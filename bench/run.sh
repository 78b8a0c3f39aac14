#!/bin/sh
# Builds and runs kuvert's benchmarks against build/release/libkuvert.a (run `make MODE=release
# all` first; `make bench` does). Benchmarks print figures; they are not tests and never fail on
# a number. Environment: BENCH_SECONDS (time per measured case, default 2), BENCH_BIG_MB (size
# of the generated big letter, default 50), BENCH_CLIENTS (client counts of the send bench,
# default 16,128).
set -eu
cd "$(dirname "$0")/.."
PKGS="libxml-2.0 cmocka sqlite3 libmicrohttpd jansson libcurl libarchive liblzma libcrypto"
CFLAGS="-std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc -Ibuild/gen $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"
mkdir -p build/bench
[ -f build/release/libkuvert.a ] || make MODE=release all

# --- memo: kv_memo_check throughput vs the raw libxml2 floor, peak RSS ---
cc $CFLAGS -o build/bench/memo_bench bench/memo_bench.c build/release/libkuvert.a $LIBS
build/bench/memo_bench --seconds "${BENCH_SECONDS:-2}" --big-mb "${BENCH_BIG_MB:-50}"

# --- send: POST /apis/v1/memos/ with durable acknowledgement vs the in-process floor ---
cc $CFLAGS -o build/bench/send_bench bench/send_bench.c build/release/libkuvert.a $LIBS
build/bench/send_bench --kuvert build/release/kuvert --seconds "${BENCH_SECONDS:-3}" \
    --clients "${BENCH_CLIENTS:-16,128}"

# --- push: REST push of queued letters to a local receiver that accepts at once, letters/s ---
cc $CFLAGS -o build/bench/push_bench bench/push_bench.c build/release/libkuvert.a $LIBS
build/bench/push_bench --letters "${BENCH_PUSH_LETTERS:-20000}"

# --- recipient: REST pull letters/s per variant; scheduler queue work at 10 k vs 1 M queued ---
cc $CFLAGS -o build/bench/recipient_bench bench/recipient_bench.c build/release/libkuvert.a $LIBS
build/bench/recipient_bench --letters "${BENCH_PULL_LETTERS:-20000}" \
    --big "${BENCH_QUEUE_BIG:-1000000}"
