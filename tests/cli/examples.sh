#!/bin/sh
# SPDX-License-Identifier: MIT
#
# examples.sh: runs `kuvert memo validate` over every example letter in tests/data/examples and
# compares the result with tests/data/examples/verdicts.tsv: the verdict (ok / invalid, from the
# exit status and the "FILE: ok" line) and, for invalid files, that the set of error rule codes
# is exactly the listed one (warnings are not part of the verdict and are ignored). Every
# example file must have a row. Env KUVERT = path of the binary. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
K=${KUVERT:-build/release/kuvert}
DIR=tests/data/examples
TABLE=$DIR/verdicts.tsv
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
passed=0
failed=0
TAB=$(printf '\t')

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}

if [ ! -r "$TABLE" ]; then
    echo "FAIL: $TABLE missing"
    echo "0 passed, 1 failed"
    exit 1
fi

# Rows: file <TAB> ok|invalid <TAB> comma list of rule codes ("-" or empty for none).
grep -v '^#' "$TABLE" | grep -v '^[[:space:]]*$' >"$T/rows"
while IFS="$TAB" read -r file verdict rules rest; do
    path=$DIR/$file
    echo "$file" >>"$T/listed"
    if [ ! -r "$path" ]; then
        fail "$file: listed in verdicts.tsv but missing"
        continue
    fi
    "$K" memo validate "$path" >"$T/out" 2>"$T/err"
    rc=$?
    case $verdict in
    ok)
        if [ "$rc" -eq 0 ] && grep -qx "$path: ok" "$T/out"; then
            pass
        else
            fail "$file: expected ok, got exit $rc: $(grep -v ': warning: ' "$T/out" | head -5)"
        fi
        ;;
    invalid)
        if [ "$rc" -eq 1 ] && ! grep -q ': ok$' "$T/out"; then
            pass
        else
            fail "$file: expected invalid, got exit $rc $(head -c 300 "$T/err")"
        fi
        # error lines are "PATH:LINE:COL: RULE: message"; warnings carry "warning: " instead
        sed -n 's/^.*:[0-9][0-9]*:[0-9][0-9]*: \([A-Z][A-Z0-9-]*\): .*$/\1/p' "$T/out" |
            sort -u >"$T/got"
        printf '%s\n' "${rules:-}" | tr ',' '\n' | tr -d ' ' | grep -v '^-*$' | sort -u >"$T/want"
        if cmp -s "$T/got" "$T/want"; then
            pass
        else
            fail "$file: rule codes $(tr '\n' ' ' <"$T/got")differ from the table's $(tr '\n' ' ' <"$T/want")"
        fi
        ;;
    *)
        fail "$file: bad verdict '$verdict' in $TABLE"
        ;;
    esac
done <"$T/rows"

# every example has a row
for path in "$DIR"/*.xml; do
    if grep -qx "$(basename "$path")" "$T/listed" 2>/dev/null; then pass; else fail "$(basename "$path") has no row in $TABLE"; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
