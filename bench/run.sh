#!/bin/sh
# Runs kuvert's benchmarks, built by `make MODE=release all bench-build` into build/release/bench/
# (the Makefile holds their package list). Benchmarks print figures; they are not tests and
# never fail on a number. Environment: BENCH_SECONDS (time per measured case, default 2), BENCH_BIG_MB (size
# of the generated big letter, default 50), BENCH_CLIENTS (client counts of the send bench,
# default 16,128), BENCH_SCALE (the growth series of bench/growth.sh: 100k (default) = 10 k and
# 100 k stored letters; 1M adds 1 M; 10M adds 10 M on PostgreSQL — about 45 GB of disk and
# an hour; see bench/growth.sh), BENCH_PG=0 (no PostgreSQL parts).
set -eu
cd "$(dirname "$0")/.."
make -s MODE=release all bench-build
BIN=build/release/bench

# --- memo: kv_memo_check throughput vs the raw libxml2 floor, peak RSS ---
$BIN/memo_bench --seconds "${BENCH_SECONDS:-2}" --big-mb "${BENCH_BIG_MB:-50}"

# --- send: POST /apis/v1/memos/ with durable acknowledgement vs the in-process floor ---
$BIN/send_bench --kuvert build/release/kuvert --seconds "${BENCH_SECONDS:-3}" \
    --clients "${BENCH_CLIENTS:-16,128}"

# --- cost: server CPU per accepted letter (user/sys from /proc) against the floors, ratio ---
$BIN/send_bench --cpu --kuvert build/release/kuvert --letters "${BENCH_CPU_LETTERS:-4000}"

# --- receipts: the receipt pull API's reads (get, 404, list, after a cursor, bulk), CPU per call ---
$BIN/receipts_bench --receipts "${BENCH_RECEIPTS:-40000}"

# --- push: REST push of queued letters to a local receiver that accepts at once, letters/s ---
$BIN/push_bench --letters "${BENCH_PUSH_LETTERS:-20000}"

# --- recipient: REST pull letters/s per variant; scheduler queue work at 10 k vs 1 M queued ---
$BIN/recipient_bench --letters "${BENCH_PULL_LETTERS:-20000}" \
    --big "${BENCH_QUEUE_BIG:-1000000}"

# --- web: a portal page with 50 concurrent signed-in sessions: p50/p99, bytes per page ---
$BIN/web_bench --kuvert build/release/kuvert --sessions "${BENCH_WEB_SESSIONS:-50}" \
    --seconds "${BENCH_SECONDS:-3}"

# --- stats: a year of 10 M letters' aggregates: the send path's upsert, each view's read time ---
$BIN/stats_bench --letters "${BENCH_STATS_LETTERS:-10000000}"

# --- mailbox: /post/ with 1 M letters in one mailbox: counts, first page, page 50, open (p50/p99) ---
$BIN/mailbox_bench --letters "${BENCH_MAILBOX_LETTERS:-1000000}" \
    --others "${BENCH_MAILBOX_OTHERS:-1000000}"

# --- search: the mailbox searched by text with 1 M letters in one mailbox among 250 k others:
#     first page p50/p99 for a common, medium, rare, absent and one-character text ---
$BIN/search_bench --letters "${BENCH_SEARCH_LETTERS:-1000000}" \
    --others "${BENCH_SEARCH_OTHERS:-250000}"

# --- send on SQLite and on PostgreSQL with 1 and 3 nodes (BENCH_PG_NODES), one after the other in
#     this run, on a throw-away cluster (tests/pg_cluster.sh); CPU us per letter of kuvert (nodes
#     summed) and of PostgreSQL, and the ratios to SQLite. BENCH_PG=0: SQLite only. ---
bench/send_nodes.sh

# --- notify: letters published at one value-date midnight with a notice each; the notice outbox
# drained to a local SMS gateway (notices/s); publication while the sender runs ---
$BIN/notify_bench --letters "${BENCH_NOTIFY_LETTERS:-1000000}"

# --- growth: the store grown to 10 k, 100 k (, 1 M, 10 M with BENCH_SCALE) letters on SQLite and
# PostgreSQL; at each size the mailbox and pull pages (p50/p99) and the send cost per letter ---
bench/growth.sh
