#!/bin/sh
# bench/send_nodes.sh: send with a durable 201 on SQLite (1 node) and on PostgreSQL with 1 and 3
# nodes (BENCH_PG_NODES, default "1 3"), each with the write lock modes of BENCH_PG_LOCKS
# (db_write_lock, default "concurrent global": letters stored concurrently, or every write
# transaction exclusive as before 2026-12-05), one after the other in this one run on this machine,
# each on a fresh store (PostgreSQL: one throw-away cluster from tests/pg_cluster.sh, a schema
# per case), the same letters and closed-loop clients (BENCH_NODES_CLIENTS, default 16, spread
# round-robin over the nodes). Prints send_bench's own lines for each case, then a table:
# letters/s, p99, CPU us per letter of the kuvert processes (all nodes summed) and of
# PostgreSQL (the postmaster and its children), and the ratios to SQLite's. On a shared 2-core
# machine letters/s follow the load; CPU us per letter is the figure to compare. For each
# PostgreSQL case also the deadlocks PostgreSQL detected (pg_stat_database; each is a batch
# run again by the letter store) and how many client backends waited on a lock, sampled
# every 0.2 s during the case (mean and largest). BENCH_KUVERT: the kuvert binary (default
# build/release/kuvert), BENCH_BIN the directory of send_bench (default build/release/bench):
# both from one commit, since send_bench sets up each store with its own migrations (to compare
# two commits, bench/send_ab.sh runs each with its own pair, alternated).
set -eu
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-build/release/bench}
KV=${BENCH_KUVERT:-build/release/kuvert}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
secs=${BENCH_SECONDS:-3}
clients=${BENCH_NODES_CLIENTS:-16}
out=$(mktemp /tmp/kuvert-send-nodes.XXXXXX)
PGB=
cleanup() {
    [ -n "$PGB" ] && tests/pg_cluster.sh stop "$PGB"
    rm -f "$out" "$out.run" "$out.waits"
}
trap cleanup EXIT INT TERM

echo "send_nodes.sh: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$("$PGBIN/postgres" --version 2>/dev/null || echo 'no PostgreSQL')"
echo "case sqlite-1 load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
$BIN/send_bench --kuvert "$KV" --seconds "$secs" --clients "$clients" 2>/dev/null |
    tee -a "$out"
if [ "${BENCH_PG:-1}" != 0 ]; then
    PGB=$(mktemp -d /tmp/kuvert-bench-pg.XXXXXX) && rmdir "$PGB"
    PGURL=$(tests/pg_cluster.sh start "$PGB")
    PM=$(head -n 1 "$PGB/data/postmaster.pid")
    for n in ${BENCH_PG_NODES:-1 3}; do
        for lock in ${BENCH_PG_LOCKS:-concurrent global}; do
            schema="bench_nodes_${n}_$lock"
            "$PGBIN/psql" -q -X -d "$PGURL" -c "CREATE SCHEMA $schema"
            echo "case pg-$n-$lock load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
            echo "db_write_lock $lock"
            dl0=$("$PGBIN/psql" -qAtX -d "$PGURL" -c "SELECT deadlocks FROM pg_stat_database \
                WHERE datname = current_database()")
            : >"$out.run"
            (   # lock waits of client backends, sampled while the case runs (at most 10 min)
                i=0
                while [ -e "$out.run" ] && [ $i -lt 3000 ]; do
                    "$PGBIN/psql" -qAtX -d "$PGURL" -c "SELECT count(*) FROM pg_stat_activity \
                        WHERE wait_event_type = 'Lock' AND backend_type = 'client backend'" \
                        >>"$out.waits" 2>/dev/null || true
                    sleep 0.2
                    i=$((i + 1))
                done
            ) &
            sampler=$!
            KUVERT_DB_WRITE_LOCK=$lock $BIN/send_bench --kuvert "$KV" \
                --seconds "$secs" --clients "$clients" \
                --db "$PGURL&options=-csearch_path%3D$schema" --nodes "$n" --pg-pid "$PM" \
                2>/dev/null | tee -a "$out"
            rm -f "$out.run"
            wait "$sampler" || true
            dl1=$("$PGBIN/psql" -qAtX -d "$PGURL" -c "SELECT deadlocks FROM pg_stat_database \
                WHERE datname = current_database()")
            awk -v c="pg-$n-$lock" -v d=$((dl1 - dl0)) '{ s += $1; if ($1 > m) m = $1; k++ }
                END { printf "waits %s deadlocks %d lockwait_mean %.2f lockwait_max %d samples %d\n",
                      c, d, k ? s / k : 0, m, k }' "$out.waits" | tee -a "$out"
            rm -f "$out.waits"
        done
    done
fi

# The table: one row per case and letter kind, from the lines above.
awk -v clients="$clients" '
/^case / { c = $2; load[c] = $4; order[++nc] = c; next }
/^waits / { waits[++nw] = $0; next }
/^(Full|Min) 1\.2 +HTTP +[0-9]/ { k = $1 " " $2; rate[c, k] = $4; p99[c, k] = $6; kinds[k] = 1; next }
/^(Full|Min) 1\.2 +CPU/ {
    k = $1 " " $2
    for (i = 1; i <= NF; i++) {
        if ($i == "kuvert") ku[c, k] = $(i + 1)
        if ($i == "postgres") pg[c, k] = $(i + 1)
    }
}
END {
    printf "\nsend_nodes.sh: %d clients, durable 201; ratios to SQLite 1 node of the same run\n", clients
    printf "%-18s %-9s %6s %10s %8s %10s %10s %10s %8s %8s\n", "case", "letter", "load", \
        "letters/s", "p99 ms", "kuvert us", "pg us", "total us", "x rate", "x us"
    for (k in kinds) for (i = 1; i <= nc; i++) {
        c = order[i]
        if (!((c SUBSEP k) in rate)) continue
        pgv = "-"
        if ((c SUBSEP k) in pg) pgv = pg[c, k]
        tot = ku[c, k] + pg[c, k]
        b = "sqlite-1"; btot = ku[b, k] + pg[b, k]
        printf "%-18s %-9s %6s %10s %8s %10s %10s %10s %8.2f %8.2f\n", c, k, load[c], rate[c, k], \
            p99[c, k], ku[c, k], pgv, tot, \
            (rate[b, k] > 0 ? rate[c, k] / rate[b, k] : 0), (btot > 0 ? tot / btot : 0)
    }
    for (i = 1; i <= nw; i++) print waits[i]
}' "$out"
