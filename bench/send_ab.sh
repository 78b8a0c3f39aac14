#!/bin/sh
# bench/send_ab.sh: before/after of two kuvert builds on PostgreSQL, measured as alternated
# pairs in one run (docs/postgresql.md, "Hot rows"). BENCH_A and BENCH_B are two source trees
# (e.g. a `git worktree add` of the older commit and this one), each built with
# `make MODE=release all bench-build`; each case runs that tree's own bench/send_bench with its
# own kuvert, because send_bench sets up the store with the migrations it was built with (a
# newer send_bench in front of an older kuvert fails every letter once a migration changed a
# key the older code names). One throw-away cluster (tests/pg_cluster.sh, the "Tuning"
# settings, pg_stat_statements loaded), a fresh schema per case, BENCH_AB_PAIRS pairs (default
# 4) whose order alternates (A B, B A, A B, ...), BENCH_AB_NODES nodes (default 1) with
# db_write_lock BENCH_AB_LOCK (default concurrent), BENCH_SECONDS per letter kind (default 5),
# 16 closed-loop clients. BENCH_AB_RT=1 (default) runs the bench, its servers and every
# process of the cluster at SCHED_FIFO 50 (root only), so that on a shared machine the run
# measures the code more than the load; 0 runs them at normal priority.
#
# Per case: send_bench's lines (letters/s, p50, p99, CPU us per letter of kuvert and of
# PostgreSQL), the load average, and the WAL records, full-page images and WAL bytes per stored
# letter (pg_stat_wal around the case). At the end the medians per side and letter kind.
# BENCH_AB_STMTS=N also prints the N statements with the most execution time per case
# (pg_stat_statements, track = all: the counter upserts inside the triggers are their own rows).
set -eu
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
A=${BENCH_A:?BENCH_A: the tree measured as before}
B=${BENCH_B:-$PWD}
pairs=${BENCH_AB_PAIRS:-4}
nodes=${BENCH_AB_NODES:-1}
lock=${BENCH_AB_LOCK:-concurrent}
secs=${BENCH_SECONDS:-5}
rt=${BENCH_AB_RT:-1}
for t in "$A" "$B"; do
    [ -x "$t/build/release/kuvert" ] && [ -x "$t/build/release/bench/send_bench" ] ||
        { echo "send_ab.sh: build $t first (make MODE=release all bench-build)" >&2; exit 2; }
done
out=$(mktemp /tmp/kuvert-send-ab.XXXXXX)
PGB=
cleanup() {
    [ -n "$PGB" ] && tests/pg_cluster.sh stop "$PGB"
    rm -f "$out"
}
trap cleanup EXIT INT TERM

PGB=$(mktemp -d /tmp/kuvert-bench-ab.XXXXXX) && rmdir "$PGB"
PGURL=$(tests/pg_cluster.sh start "$PGB")
if [ "$(id -u)" = 0 ]; then as() { runuser -u postgres -- "$@"; }; else as() { "$@"; }; fi
track=top
[ -n "${BENCH_AB_STMTS:-}" ] && track=all
cat >>"$PGB/data/postgresql.conf" <<EOF
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = $track
EOF
as "$PGBIN/pg_ctl" -D "$PGB/data" -l "$PGB/server.log" -w -t 60 restart >/dev/null
PM=$(head -n 1 "$PGB/data/postmaster.pid")
psql() { "$PGBIN/psql" -qAtX -d "$PGURL" "$@"; }
psql -c "CREATE EXTENSION pg_stat_statements"
rtcmd=
if [ "$rt" = 1 ]; then
    # backends forked later inherit the postmaster's policy
    for p in $PM $(pgrep -P "$PM"); do chrt -f -p 50 "$p"; done
    rtcmd="chrt -f 50"
fi

echo "send_ab.sh: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), A=$A ($(git -C "$A" rev-parse --short HEAD))," \
    "B=$B ($(git -C "$B" rev-parse --short HEAD)), $nodes node(s), db_write_lock $lock," \
    "${secs} s per kind, SCHED_FIFO $rt, $("$PGBIN/postgres" --version)"
i=1
while [ "$i" -le "$pairs" ]; do
    if [ $((i % 2)) = 1 ]; then order="A B"; else order="B A"; fi
    for side in $order; do
        if [ "$side" = A ]; then tree=$A; else tree=$B; fi
        schema="ab_${side}_$i"
        psql -c "CREATE SCHEMA $schema"
        w0=$(psql -c "SELECT wal_records || ' ' || wal_fpi || ' ' || wal_bytes FROM pg_stat_wal")
        psql -c "SELECT pg_stat_statements_reset()" >/dev/null
        echo "=== pair $i side $side load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)" | tee -a "$out"
        (cd "$tree" && KUVERT_DB_WRITE_LOCK=$lock $rtcmd build/release/bench/send_bench \
            --kuvert build/release/kuvert --seconds "$secs" --clients 16 \
            --db "$PGURL&options=-csearch_path%3D$schema" --nodes "$nodes" --pg-pid "$PM" \
            2>/dev/null) | grep -E '^(Full|Min) 1\.2 +(HTTP|CPU)' | tee -a "$out"
        w1=$(psql -c "SELECT wal_records || ' ' || wal_fpi || ' ' || wal_bytes FROM pg_stat_wal")
        n=$(psql -c "SELECT count(*) FROM $schema.letters")
        echo "$w0 $w1 $n" | awk '$7 > 0 { printf "letters %d: WAL records %.1f, full-page images %.3f, WAL bytes %.0f per letter\n",
            $7, ($4 - $1) / $7, ($5 - $2) / $7, ($6 - $3) / $7 }'
        if [ -n "${BENCH_AB_STMTS:-}" ]; then
            psql -F ' | ' -c "SELECT calls, round((total_exec_time * 1000 / $n)::numeric, 1) AS us_per_letter,
                shared_blks_dirtied, wal_records, left(regexp_replace(query, '\s+', ' ', 'g'), 100)
                FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%'
                ORDER BY total_exec_time DESC LIMIT $BENCH_AB_STMTS"
        fi
        psql -c "DROP SCHEMA $schema CASCADE" 2>/dev/null
    done
    i=$((i + 1))
done

# Medians per side and letter kind.
awk '
/^===/ { s = $5; next }
/HTTP/ { k = s " " $1; r[k] = r[k] " " $4 }
/CPU/ { k = s " " $1; ku[k] = ku[k] " " $5; pg[k] = pg[k] " " $8 }
function med(str,    a, n, i, j, t) {
    n = split(str, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
    print "side letter    letters/s (median; each case)            kuvert us/letter  PostgreSQL us/letter (median; each case)"
    for (k in r) printf "%-11s %7.1f [%s ]  %7.1f  %7.1f [%s ]\n", k, med(r[k]), r[k], med(ku[k]), med(pg[k]), pg[k] | "sort -k2,2 -k1,1"
}' "$out"
echo "load average at the cases: $(grep '^===' "$out" | awk '{print $7}' | sort -n | sed -n '1p;$p' | tr '\n' ' ')(lowest, highest)"
