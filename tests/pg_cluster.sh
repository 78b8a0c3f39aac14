#!/bin/sh
# A throw-away PostgreSQL 15 cluster for the tests (tests/run.sh, `make test`, .ci/run).
#
#   tests/pg_cluster.sh start DIR   initdb in DIR (must not exist), start it listening only on a
#                                   Unix socket in DIR, print its base URL on stdout
#   tests/pg_cluster.sh stop DIR    stop it and remove DIR
#
# The cluster is UTF8 with the C locale (kuvert needs byte-order text, docs/store.md), trust
# authentication (reachable only through the socket in DIR, mode 0700), no TCP port (so several
# test runs on one machine never collide). As root it runs as the unprivileged `postgres` user
# (PostgreSQL refuses to run as root); otherwise as the calling user. Binaries from
# PGBIN (default /usr/lib/postgresql/15/bin, Debian's postgresql-15); shared_buffers from
# PG_SHARED_BUFFERS (default 128MB).
#
# Tests get one database per cluster and a fresh schema per store (KUVERT_TEST_PG, see
# tests/unit/hub/store_fixture.h and tests/it/kuvert_harness.py).
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

if [ "$(id -u)" = 0 ]; then
    user=postgres
    as() { runuser -u postgres -- "$@"; }
else
    user=$(id -un)
    as() { "$@"; }
fi

case "$cmd" in
start)
    [ -x "$PGBIN/initdb" ] || { echo "$0: no $PGBIN/initdb (install postgresql-15)" >&2; exit 1; }
    mkdir -m 0700 "$dir"
    [ "$user" = postgres ] && chown postgres "$dir"
    as "$PGBIN/initdb" -D "$dir/data" -U "$user" -E UTF8 --locale=C --auth=trust \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync stays on: the tests run kuvert's durable commits as they are in production. The
    # WAL and checkpoint settings are the ones docs/postgresql.md "Tuning" recommends, so the
    # tests and the benchmarks (bench/growth.sh) run the configuration an operator is told to
    # use; PG_SHARED_BUFFERS sizes the buffer cache (the growth bench gives it more).
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
max_connections = 400
shared_buffers = ${PG_SHARED_BUFFERS:-128MB}
synchronous_commit = on
wal_compression = lz4
checkpoint_timeout = 15min
max_wal_size = 4GB
log_min_messages = warning
EOF
    as "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    as "$PGBIN/createdb" -h "$dir" -U "$user" -T template0 -E UTF8 --locale=C kuvert_test
    echo "postgresql:///kuvert_test?host=$dir&user=$user"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        as "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            as "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
