#!/bin/sh
# Runs every test suite against both builds (build/release and build/asan) and prints one
# summary line "N passed, N failed" that CI can read, counting test cases: cmocka tests,
# pytest tests, the checks of each shell suite, and the fuzz run as one case. Suites:
#   - cmocka unit tests: build/<mode>/tests/**/test_*   (mirror src/)
#   - shell suites:      tests/cli/*.sh                  (black-box on the kuvert binary)
#   - python suites:     tests/it/test_*.py              (real server on 127.0.0.1; /usr/bin/python3)
#   - browser suites:    tests/web/*.test.mjs            (chromium via playwright-core, axe-core;
#                                                         screenshots in build/screenshots/<mode>/)
#   - fuzzing:           tests/fuzz/build-and-run.sh     (bounded time; release only)
#   - multi-node:        tests/multinode/test_*.py       (several servers on one PostgreSQL
#                                                         database; PostgreSQL pass only)
#   - failover:          tests/failover/test_*.py        (Patroni + etcd promote the standby
#                                                         under load; PostgreSQL pass only)
# They run on both database backends: SQLite in every build, then PostgreSQL 15 in a throw-away
# cluster (tests/pg_cluster.sh, stopped at exit) in the first build (unit tests get
# KUVERT_TEST_PG, the black-box suites run the binary through tests/kuvert-pg.sh; suite names
# "<mode>-pg/..."). Environment: KUVERT_TEST_MODES (builds to run, default "release asan";
# `make tsan` uses "tsan"), KUVERT_TEST_BACKENDS (default "sqlite postgresql"),
# KUVERT_TEST_PG_MODES (builds of the PostgreSQL pass, default the first of the modes),
# KUVERT_TEST_FUZZ=0 skips fuzzing.
# Exit status 0 only when every suite passed.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export KUVERT_ROOT="$ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1}
passed=0   # test cases
failed=0
skipped=0
suites_failed=0
failures=""
LOG=build/test-logs
mkdir -p "$LOG"

# cases KIND LOG STATUS: sets c_pass and c_fail, the cases of one suite's log. Every suite runs
# all of its cases (no stop at the first failure); a suite that failed without a countable
# failure (a crash, a missing summary) counts one failed case.
cases() {
    c_pass=0
    c_fail=0
    c_skip=0
    case $1 in
    cmocka) # "[ RUN      ] t" per case started, "[       OK ] t" per case passed
        c_pass=$(grep -c '^\[       OK \]' "$2")
        c_fail=$(($(grep -c '^\[ RUN      \]' "$2") - c_pass))
        ;;
    pytest) # the closing "N failed, N passed, N skipped, N errors in 1.23s"
        last=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|errors|skipped|deselected)' "$2" | tail -n 1)
        c_pass=$(echo "$last" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
        c_fail=$(($(echo "$last" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 0) + \
            $(echo "$last" | grep -Eo '[0-9]+ errors?' | grep -Eo '[0-9]+' || echo 0)))
        c_skip=$(echo "$last" | grep -Eo '[0-9]+ skipped' | grep -Eo '[0-9]+' || echo 0)
        ;;
    shell | web) # the suite's own closing "N passed, N failed" (shell and browser suites)
        last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)
        if [ -n "$last" ]; then
            c_pass=${last%% *}
            c_fail=$(echo "$last" | sed 's/.*, \([0-9]*\) failed/\1/')
        fi
        ;;
    *) # one case: the suite itself
        [ "$3" -eq 0 ] && c_pass=1
        ;;
    esac
    [ "$3" -ne 0 ] && [ "$c_fail" -eq 0 ] && c_fail=1
    return 0
}

run_suite() { # kind, name, command...
    kind=$1
    name=$2
    shift 2
    logf="$LOG/$(echo "$name" | tr '/ ' '__').log"
    "$@" >"$logf" 2>&1
    st=$?
    cases "$kind" "$logf" "$st"
    passed=$((passed + c_pass))
    failed=$((failed + c_fail))
    skipped=$((skipped + c_skip))
    if [ "$st" -eq 0 ]; then
        echo "PASS $name ($c_pass)"
    else
        suites_failed=$((suites_failed + 1))
        failures="$failures $name"
        echo "FAIL $name ($c_fail of $((c_pass + c_fail)) failed; log: $logf)"
        tail -n 30 "$logf" | sed 's/^/    /'
    fi
}

PG_URL=""
case " ${KUVERT_TEST_BACKENDS:-sqlite postgresql} " in *" postgresql "*)
    PG_DIR=$(mktemp -d /tmp/kuvert-test-pg.XXXXXX) && rmdir "$PG_DIR"
    trap 'tests/pg_cluster.sh stop "$PG_DIR"' EXIT
    trap 'exit 130' INT TERM
    if ! PG_URL=$(tests/pg_cluster.sh start "$PG_DIR" 2>"$LOG/pg_cluster.log"); then
        PG_URL="" # counted as a failed suite, with the reason
        run_suite cluster "postgresql/cluster" sh -c 'cat "$1"; exit 1' sh "$LOG/pg_cluster.log"
    fi ;;
esac

for backend in ${KUVERT_TEST_BACKENDS:-sqlite postgresql}; do
[ "$backend" = postgresql ] && [ -z "$PG_URL" ] && continue
modes=${KUVERT_TEST_MODES:-release asan}
[ "$backend" = postgresql ] && modes=${KUVERT_TEST_PG_MODES:-$(echo "$modes" | cut -d' ' -f1)}
for mode in $modes; do
    tag=$mode
    if [ "$backend" = postgresql ]; then
        tag=$mode-pg
        export KUVERT_TEST_PG="$PG_URL" KUVERT_REAL="$ROOT/build/$mode/kuvert"
        export KUVERT="$ROOT/tests/kuvert-pg.sh"
    else
        unset KUVERT_TEST_PG KUVERT_REAL
        export KUVERT="$ROOT/build/$mode/kuvert"
    fi
    export KUVERT_MODE="$mode"
    for t in $(find "build/$mode/tests" -type f -name 'test_*' ! -name '*.d' -perm -u+x 2>/dev/null | sort); do
        run_suite cmocka "$tag/unit/${t#build/$mode/tests/}" "$t"
    done
    for s in $(ls tests/cli/*.sh 2>/dev/null | sort); do
        run_suite shell "$tag/cli/$(basename "$s")" sh "$s"
    done
    for p in $(ls tests/it/test_*.py 2>/dev/null | sort); do
        run_suite pytest "$tag/it/$(basename "$p")" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$p"
    done
    for w in $(ls tests/web/*.test.mjs 2>/dev/null | sort); do
        run_suite web "$tag/web/$(basename "$w")" env SCREENSHOTS="$ROOT/build/screenshots/$tag" node "$w"
    done
done
done
# Several nodes on one PostgreSQL database (tests/multinode/, on the test cluster) and the
# primary failover under Patroni + etcd (tests/failover/, clusters of its own): once, in the
# PostgreSQL pass's first build.
if [ -n "$PG_URL" ]; then
    mode=$(echo "${KUVERT_TEST_PG_MODES:-${KUVERT_TEST_MODES:-release asan}}" | cut -d' ' -f1)
    for p in $(ls tests/multinode/test_*.py tests/failover/test_*.py 2>/dev/null); do
        run_suite pytest "$mode-pg/$(basename "$(dirname "$p")")/$(basename "$p")" \
            env KUVERT_TEST_PG="$PG_URL" \
            KUVERT="$ROOT/build/$mode/kuvert" KUVERT_REAL="$ROOT/build/$mode/kuvert" \
            KUVERT_MODE="$mode" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$p"
    done
fi
if [ "${KUVERT_TEST_FUZZ:-1}" != 0 ] && [ -x tests/fuzz/build-and-run.sh ]; then
    run_suite fuzz "fuzz" tests/fuzz/build-and-run.sh
fi
echo
[ -n "$failures" ] && echo "failed suites:$failures"
[ "$skipped" -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$suites_failed" -eq 0 ]
