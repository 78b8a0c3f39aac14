#!/bin/sh
# The kuvert binary as the black-box suites see it in their PostgreSQL pass (tests/run.sh sets
# KUVERT to this script, KUVERT_REAL to the binary and KUVERT_TEST_PG to the test cluster).
# A command naming a data directory (--data DIR, --data=DIR, or KUVERT_DATA) gets
# `--db URL` added: the cluster's database with a schema of its own for that directory,
# "kvd_" + the first 16 hex digits of SHA-1 of the directory's absolute path, created on first
# use. So every fresh data directory of a test is a fresh database, and a CLI command on a
# server's data directory reaches the server's database, exactly as with SQLite. The binary is
# exec'd (same pid: signals and exit codes are the binary's own). A command that names --db
# itself, or no data directory, runs unchanged.
set -eu
real=${KUVERT_REAL:?KUVERT_REAL must name the kuvert binary}
base=${KUVERT_TEST_PG:?KUVERT_TEST_PG must name the test database}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

data=""
prev=""
for a in "$@"; do
    case "$prev" in --data) data=$a ;; esac
    case "$a" in
    --data=*) data=${a#--data=} ;;
    --db | --db=*) exec "$real" "$@" ;;
    esac
    prev=$a
done
[ -n "$data" ] || data=${KUVERT_DATA:-}
[ -n "$data" ] || exec "$real" "$@"

abs=$(realpath -m -s -- "$data")
schema="kvd_$(printf '%s' "$abs" | sha1sum | cut -c1-16)"
"$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -d "$base" \
    -c "SET client_min_messages TO warning; CREATE SCHEMA IF NOT EXISTS $schema" >/dev/null
case "$base" in *\?*) sep='&' ;; *) sep='?' ;; esac
exec "$real" "$@" --db "$base${sep}options=-csearch_path%3D$schema"
