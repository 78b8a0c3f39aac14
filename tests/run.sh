#!/bin/sh
# Runs every test suite against both builds (build/release and build/asan) and prints one
# summary line "N passed, N failed" that CI can read. Suites:
#   - cmocka unit tests: build/<mode>/tests/**/test_*   (mirror src/)
#   - shell suites:      tests/cli/*.sh                  (black-box on the kuvert binary)
#   - python suites:     tests/it/test_*.py              (real server on 127.0.0.1; /usr/bin/python3)
#   - browser suites:    tests/web/*.test.mjs            (chromium via playwright-core, axe-core;
#                                                         screenshots in build/screenshots/<mode>/)
#   - fuzzing:           tests/fuzz/build-and-run.sh     (bounded time; release only)
# Environment: KUVERT_TEST_MODES (builds to run, default "release asan"; `make tsan` uses "tsan"),
# KUVERT_TEST_FUZZ=0 skips fuzzing.
# Exit status 0 only when every suite passed.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export KUVERT_ROOT="$ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1}
passed=0
failed=0
failures=""
LOG=build/test-logs
mkdir -p "$LOG"

run_suite() { # name, command...
    name=$1
    shift
    logf="$LOG/$(echo "$name" | tr '/ ' '__').log"
    if "$@" >"$logf" 2>&1; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        failures="$failures $name"
        echo "FAIL $name (log: $logf)"
        tail -n 30 "$logf" | sed 's/^/    /'
    fi
}

for mode in ${KUVERT_TEST_MODES:-release asan}; do
    export KUVERT="$ROOT/build/$mode/kuvert"
    export KUVERT_MODE="$mode"
    for t in $(find "build/$mode/tests" -type f -name 'test_*' ! -name '*.d' -perm -u+x 2>/dev/null | sort); do
        run_suite "$mode/unit/${t#build/$mode/tests/}" "$t"
    done
    for s in $(ls tests/cli/*.sh 2>/dev/null | sort); do
        run_suite "$mode/cli/$(basename "$s")" sh "$s"
    done
    for p in $(ls tests/it/test_*.py 2>/dev/null | sort); do
        run_suite "$mode/it/$(basename "$p")" /usr/bin/python3 -m pytest -q -x -p no:cacheprovider "$p"
    done
    for w in $(ls tests/web/*.test.mjs 2>/dev/null | sort); do
        run_suite "$mode/web/$(basename "$w")" env SCREENSHOTS="$ROOT/build/screenshots/$mode" node "$w"
    done
done
if [ "${KUVERT_TEST_FUZZ:-1}" != 0 ] && [ -x tests/fuzz/build-and-run.sh ]; then
    run_suite "fuzz" tests/fuzz/build-and-run.sh
fi
echo
[ -n "$failures" ] && echo "failed suites:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
