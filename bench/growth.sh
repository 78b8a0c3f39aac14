#!/bin/sh
# bench/growth.sh: what a letter costs and what the mailbox and pull pages cost as the store
# grows (issue 14 item 5, issue 12's page speed). For each backend (SQLite in a temporary
# data directory; PostgreSQL 15 on a throw-away cluster from tests/pg_cluster.sh) one store
# is grown step by step to each size of the series by growth_bench fill (real-shaped rows, see
# bench/growth_bench.c), and at each size:
#   growth_bench query   the big mailbox's counts, first page, page 50, opening a letter; an
#                        ordinary mailbox's counts and first page; a pull system's list page
#                        (p50/p99/max ms, in-process, one connection);
#   web_bench --data     GET /post/ over HTTP, signed in as the big mailbox's owner (4
#                        sessions): the first page of the inbox as the browser gets it, the
#                        server's own time per page from its access log;
#   web_bench --suite    the big mailbox over HTTP, one request at a time, BENCH_SUITE_REQUESTS
#                        (default 1000) per case: the whole /post/ page (inbox, own folder,
#                        page 2, page 50, flagged), opening a random letter, its download, the
#                        mailbox JSON API list (inbox, unread, all folders); server time
#                        p50/p99 from the access log, at normal priority and, as root, again
#                        with the server and the PostgreSQL cluster's processes at real-time
#                        priority (SCHED_FIFO 50: the figure of a quiet machine on a shared one;
#                        BENCH_SUITE_RT=0 leaves that out);
#   send_bench --data    POST /apis/v1/memos/ with a durable 201 on that store (16 clients,
#                        BENCH_SECONDS per letter kind): letters/s, p50/p99, CPU us per letter
#                        of kuvert and of PostgreSQL;
# and the size on disk. Every step prints the load average it ran under. On PostgreSQL the fill
# ends with VACUUM (ANALYZE) and a CHECKPOINT, so each size is measured in the same state and
# the vacuum of the copies (which autovacuum would otherwise run during the sends) is not
# counted as the sends' CPU time.
#
#   BENCH_SCALE=100k   (default) 10 k and 100 k letters
#   BENCH_SCALE=1M     10 k, 100 k, 1 M
#   BENCH_SCALE=10M    10 k, 100 k, 1 M, 10 M: PostgreSQL needs about 50 GB of disk at 10 M
#                      (4.5 KB a letter with its receipt, three events and indexes, whose
#                      random keys leave index pages ~70 % full; plus up to 4 GB of WAL,
#                      max_wal_size) and the fill (PostgreSQL's bulk load: 1,300-2,000
#                      letters/s for a whole step with its index builds, VACUUM and CHECKPOINT
#                      at load 20, so 1.5-2 hours to 10 M) on a busy 2-core machine; SQLite as
#                      much again,
#                      so it stops at BENCH_GROWTH_SQLITE_MAX (default 1000000) unless raised:
#                      BENCH_GROWTH_BACKENDS=sqlite BENCH_GROWTH_SQLITE_MAX=10000000 is the
#                      SQLite 10 M run of docs/mailbox-web.md
#   BENCH_GROWTH_BACKENDS="sqlite postgresql"  (default; BENCH_PG=0 drops postgresql;
#                      BENCH_GROWTH_BACKENDS=postgresql is the PostgreSQL series alone)
#   BENCH_GROWTH_RT=1  (as root) a second growth_bench query and a second send run per size with
#                      the bench, the server and the cluster's processes at SCHED_FIFO 50 (bounded
#                      runs): a quiet machine's figures on a busy one
#   BENCH_GROWTH_MIN_FREE_GB=15  the series stops before a size whose fill would leave less
#                      free on the store's disk (about 5 kB a letter, plus 4 GB of WAL)
#   BENCH_GROWTH_KEEP=1  keep the last store (and its cluster) and print where, for EXPLAIN;
#                      remove it with tests/pg_cluster.sh stop DIR / rm -rf DIR
#   BENCH_GROWTH_DIR=/tmp  where the stores (data directory, cluster) are made: a disk with
#                      room for the series (above)
#   GROWTH_FILL_STOP=FILE  growth_bench fill starts no further chunk once FILE exists: the step
#                      ends at the size reached (indexes back, VACUUM, CHECKPOINT) and is
#                      measured there; the series then stops (it was the operator's choice)
# Run it alone with `make bench-growth BENCH_SCALE=10M`; `make bench` runs it at 100k.
set -eu
cd "$(dirname "$0")/.."
BIN=build/release/bench
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
case "${BENCH_SCALE:-100k}" in
100k) scales="10000 100000" ;;
1M) scales="10000 100000 1000000" ;;
10M) scales="10000 100000 1000000 10000000" ;;
*) echo "growth.sh: BENCH_SCALE is 100k, 1M or 10M" >&2; exit 2 ;;
esac
backends=${BENCH_GROWTH_BACKENDS:-sqlite postgresql}
[ "${BENCH_PG:-1}" = 0 ] && backends=$(echo "$backends" | sed 's/postgresql//')
secs=${BENCH_SECONDS:-3}
D=
PGB=
cleanup() {
    if [ "${BENCH_GROWTH_KEEP:-0}" = 1 ]; then
        echo "growth.sh: kept ${D:-} ${PGB:+and the cluster $PGB (${URL:-})}"
    else
        [ -n "$PGB" ] && tests/pg_cluster.sh stop "$PGB"
        [ -n "$D" ] && rm -rf "$D"
    fi
    PGB=
    D=
}
trap cleanup EXIT INT TERM

# PostgreSQL's I/O counters, one line: letters inserted, full-page images, WAL bytes, blocks
# read into shared buffers, pages written by backends (evictions and table extensions)
pg_io() {
    "$PGBIN/psql" -XAtq -F ' ' "$URL" -c "SELECT
        (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'letters'),
        w.wal_fpi, w.wal_bytes, d.blks_read, b.buffers_backend
        FROM pg_stat_wal w, pg_stat_database d, pg_stat_bgwriter b
        WHERE d.datname = current_database()"
}

# SCHED_FIFO 50 (POLICY -f) or back to normal (-o) for the cluster's processes; backends
# forked meanwhile inherit the postmaster's policy
pg_sched() {
    for p in $PM $(pgrep -P "$PM"); do
        if [ "$1" = -f ]; then chrt -f -p 50 "$p"; else chrt -o -p 0 "$p"; fi 2>/dev/null || true
    done
}

# one send_bench run into the store; --rt first: it and the cluster at SCHED_FIFO 50 (a
# bounded run, as root). On PostgreSQL also the WAL, full-page images and blocks read per
# letter (the counters' difference over the run; pg_stat_statements is not needed)
send_case() {
    rt=
    if [ "${1:-}" = --rt ]; then rt="chrt -f 50"; shift; fi
    [ -n "$PGB" ] && io0=$(pg_io) && [ -n "$rt" ] && pg_sched -f
    # shellcheck disable=SC2086 # pgcpu is two words or none, rt three or none
    $rt $BIN/send_bench --kuvert build/release/kuvert --data "$D" "$@" $pgcpu \
        --seconds "$secs" --clients 16 2>/dev/null | grep -v '^send_bench\|^letter '
    if [ -n "$PGB" ]; then
        [ -n "$rt" ] && pg_sched -o
        io1=$(pg_io)
        echo "$io0 $io1" | awk '{ n = $6 - $1; if (n > 0)
            printf "postgres I/O per letter (%d letters): full-page images %.2f, WAL %.1f kB, " \
                   "blocks read %.2f, pages written by backends %.2f\n",
                   n, ($7 - $2) / n, ($8 - $3) / n / 1000, ($9 - $4) / n, ($10 - $5) / n }'
    fi
}

# stop before a fill that would leave less than BENCH_GROWTH_MIN_FREE_GB (default 15) free
# on the store's disk: a size of n letters takes about 5 kB a letter on PostgreSQL (4.5 kB
# measured) plus max_wal_size (4 GB) of WAL, on SQLite 5 kB a letter
room_for() {
    have_kb=$(du -sk "$where" | cut -f1)
    free_kb=$(df -Pk "$where" | awk 'NR == 2 { print $4 }')
    need_kb=$(( $1 * 5 - have_kb ))
    [ "$backend" = postgresql ] && need_kb=$(( need_kb + 4 * 1024 * 1024 ))
    [ "$need_kb" -lt 0 ] && need_kb=0
    min_kb=$(( ${BENCH_GROWTH_MIN_FREE_GB:-15} * 1024 * 1024 ))
    echo "disk: $(( free_kb / 1048576 )) GB free, the step needs about $(( need_kb / 1048576 )) GB more"
    [ $(( free_kb - need_kb )) -ge "$min_kb" ]
}

for backend in $backends; do
    D=$(mktemp -d "${BENCH_GROWTH_DIR:-/tmp}/kuvert-grow.XXXXXX")
    if [ "$backend" = postgresql ]; then
        PGB=$(mktemp -d "${BENCH_GROWTH_DIR:-/tmp}/kuvert-grow-pg.XXXXXX") && rmdir "$PGB"
        # the cluster as docs/postgresql.md "Tuning" sets one up (WAL compression, 15-minute
        # checkpoints, set in tests/pg_cluster.sh), with a buffer cache that holds the
        # random-key indexes the sends write into (1 GB, PG_SHARED_BUFFERS)
        URL=$(PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-1GB} tests/pg_cluster.sh start "$PGB")
        PM=$(head -n 1 "$PGB/data/postmaster.pid")
        set -- --db "$URL"
        pgcpu="--pg-pid $PM"
        where=$PGB
    else
        set --
        pgcpu=
        where=$D
    fi
    echo "growth.sh: $backend, series $scales; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
    for n in $scales; do
        if [ "$backend" = sqlite ] && [ "$n" -gt "${BENCH_GROWTH_SQLITE_MAX:-1000000}" ]; then
            echo "=== growth: sqlite at $n letters skipped (BENCH_GROWTH_SQLITE_MAX, disk)"
            continue
        fi
        if ! room_for "$n"; then
            echo "=== growth: $backend stops before $n letters: under ${BENCH_GROWTH_MIN_FREE_GB:-15} GB would stay free"
            break
        fi
        echo "=== growth: $backend at $n letters; load before the fill $(cut -d' ' -f1-3 /proc/loadavg)"
        { $BIN/growth_bench fill --data "$D" "$@" --to "$n"; echo $? >"$D/growth-fill.rc"; } |
            tee "$D/growth-fill.log"
        [ "$(cat "$D/growth-fill.rc")" = 0 ] || exit 1
        stopped=$(grep -c '^growth_bench fill: .* exists: stopped at' "$D/growth-fill.log" || true)
        # the letters growth_bench numbered (web_bench opens random ones of them)
        loaded=$n
        [ "$stopped" != 0 ] && loaded=$(sed -n 's/.* exists: stopped at \([0-9]*\) letters$/\1/p' \
            "$D/growth-fill.log")
        $BIN/growth_bench query --data "$D" "$@" --passes "${BENCH_GROWTH_PASSES:-200}"
        if [ "${BENCH_GROWTH_RT:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
            echo "growth_bench query at SCHED_FIFO 50${PGB:+, with the cluster}:"
            [ -n "$PGB" ] && pg_sched -f
            chrt -f 50 $BIN/growth_bench query --data "$D" "$@" \
                --passes "${BENCH_GROWTH_PASSES:-200}" || echo "growth.sh: query at SCHED_FIFO failed"
            [ -n "$PGB" ] && pg_sched -o
        fi
        $BIN/web_bench --kuvert build/release/kuvert --data "$D" "$@" --cpr 2211771212 \
            --sessions 4 --seconds "$secs" 2>/dev/null | grep 'server time\|pages/s'
        $BIN/web_bench --suite --kuvert build/release/kuvert --data "$D" "$@" --cpr 2211771212 \
            --letters "$loaded" --requests "${BENCH_SUITE_REQUESTS:-1000}" 2>/dev/null ||
            echo "growth.sh: web_bench --suite failed at $n letters"
        if [ "${BENCH_SUITE_RT:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
            [ -n "$PGB" ] && pg_sched -f
            $BIN/web_bench --suite --kuvert build/release/kuvert --data "$D" "$@" \
                --cpr 2211771212 --letters "$loaded" --requests "${BENCH_SUITE_REQUESTS:-1000}" \
                --rt 50 2>/dev/null || echo "growth.sh: web_bench --suite --rt 50 failed at $n letters"
            [ -n "$PGB" ] && pg_sched -o
        fi
        echo "send at $n letters (load $(cut -d' ' -f1-3 /proc/loadavg)):"
        send_case "$@"
        if [ "${BENCH_GROWTH_RT:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
            echo "send at $n letters, SCHED_FIFO 50 (load $(cut -d' ' -f1-3 /proc/loadavg)):"
            send_case --rt "$@"
        fi
        echo "on disk at $n letters: $(du -sh "$where" | cut -f1); load after $(cut -d' ' -f1-3 /proc/loadavg)"
        if [ "$stopped" != 0 ]; then
            echo "=== growth: $backend stopped by GROWTH_FILL_STOP below $n letters (measured above)"
            break
        fi
    done
    cleanup
done
