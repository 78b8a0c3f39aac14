#!/bin/sh
# SPDX-License-Identifier: MIT
#
# web_po.sh: the web pages' message catalogs are complete. Every msgid marked N_() in
# src/web (extracted with xgettext) has a non-empty Danish translation in po/da.po and an
# entry in po/en.po, neither catalog has fuzzy or obsolete entries, and both compile with
# msgfmt. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

xgettext --from-code=UTF-8 --keyword=N_ --language=C --no-location --sort-output \
    -o "$T/kuvert.pot" src/web/*.c && pass || fail "xgettext over src/web"
for lang in da en; do
    if msgcmp --use-untranslated po/$lang.po "$T/kuvert.pot" 2>"$T/cmp.$lang"; then
        pass
    else
        fail "po/$lang.po misses msgids of src/web (run tools/po-update.py):"
        sed 's/^/    /' "$T/cmp.$lang"
    fi
    if msgfmt --check-format --check-domain --statistics -o "$T/$lang.mo" po/$lang.po \
        2>"$T/stat.$lang"; then
        pass
    else
        fail "msgfmt po/$lang.po"
        cat "$T/stat.$lang"
    fi
    grep -Eq 'fuzzy|untranslated' "$T/stat.$lang" && fail "po/$lang.po: $(cat "$T/stat.$lang")" || pass
    grep -q '^#~' po/$lang.po && fail "po/$lang.po has obsolete entries" || pass
done
# msgcmp without --use-untranslated: every id really translated in Danish
msgcmp po/da.po "$T/kuvert.pot" >/dev/null 2>&1 && pass || fail "po/da.po has untranslated ids"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
