#!/bin/sh
# SPDX-License-Identifier: MIT
#
# memo.sh: black-box tests of `kuvert memo` (validate, show, new, upgrade): exit codes, the
# line format of validate, --json, stdin, missing files, the size bound, building letters that
# validate, upgrading 1.1 to 1.2, and show's summary. Env KUVERT = path of the binary.
# Prints "N passed, N failed" and exits non-zero when any check failed.
set -u
cd "$(dirname "$0")/../.."
K=${KUVERT:-build/release/kuvert}
PY=/usr/bin/python3
EX=tests/data/examples
P=$EX/itk-dev-rpa_python-serviceplatformen__MeMo
FULL11=${P}_Full_Example__memo-1.1.xml
FULL12=${P}_Full_Example__memo-1.2.xml
MIN11=${P}_Minimum_Example__memo-1.1.xml
MIN12=${P}_Minimum_Example__memo-1.2.xml
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    echo "  stdout: $(head -c 600 "$T/out" 2>/dev/null)"
    echo "  stderr: $(head -c 600 "$T/err" 2>/dev/null)"
}

# run CMD...: runs kuvert with stdout in $T/out, stderr in $T/err, exit status in $rc.
run() {
    "$K" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
# run_in FILE CMD...: the same with FILE on stdin.
run_in() {
    f=$1
    shift
    "$K" "$@" <"$f" >"$T/out" 2>"$T/err"
    rc=$?
}
expect_rc() { # name expected
    if [ "$rc" -eq "$2" ]; then pass; else fail "$1: exit $rc, expected $2"; fi
}
expect_out() { # name grep-ERE (stdout must match)
    if grep -Eq -- "$2" "$T/out"; then pass; else fail "$1: stdout lacks /$2/"; fi
}
expect_no_out() { # name grep-ERE (stdout must not match)
    if grep -Eq -- "$2" "$T/out"; then fail "$1: stdout has /$2/"; else pass; fi
}
expect_err() { # name grep-ERE (stderr must match)
    if grep -Eq -- "$2" "$T/err"; then pass; else fail "$1: stderr lacks /$2/"; fi
}
# every stdout line is a validate line for FILE (problem line or "FILE: ok")
expect_lines() { # name file
    esc=$(printf '%s' "$2" | sed 's/[].[*^$\\/]/\\&/g')
    if [ ! -s "$T/out" ]; then
        fail "$1: no output"
    elif grep -Ev "^$esc(: ok|:[0-9]+:[0-9]+: (warning: )?[A-Z][A-Z0-9-]*: .+)\$" "$T/out" >"$T/odd"; then
        fail "$1: malformed lines: $(head -3 "$T/odd")"
    else
        pass
    fi
}

# ---- help and usage ----
run memo --help
expect_rc "memo --help" 0
for s in validate show new upgrade; do expect_out "memo --help lists $s" "^  $s "; done
run memo
expect_rc "memo without subcommand" 2
run memo frobnicate
expect_rc "unknown subcommand" 2
expect_err "unknown subcommand message" "kuvert: memo: unknown subcommand"
for s in validate show new upgrade; do
    for h in --help -h; do
        run memo "$s" "$h"
        expect_rc "memo $s $h" 0
        expect_out "memo $s $h usage" "^usage: kuvert memo $s"
    done
    run memo "$s" --no-such-option "$MIN12"
    expect_rc "memo $s unknown option" 2
    expect_err "memo $s unknown option message" "unknown option"
done

# ---- validate: verdicts, exit codes, line format ----
run memo validate "$FULL12"
expect_rc "validate Full 1.2" 0
expect_lines "validate Full 1.2 lines" "$FULL12"
expect_out "validate Full 1.2 ok last" "^$FULL12: ok\$"
if [ "$(tail -n 1 "$T/out")" = "$FULL12: ok" ]; then pass; else fail "ok is the last line"; fi
# The Full 1.2 example has Actions whose end is before their start: warnings, still valid.
expect_out "validate Full 1.2 warns" "^$FULL12:[0-9]+:[0-9]+: warning: [A-Z][A-Z0-9-]*: "

run memo validate "$MIN11" "$MIN12"
expect_rc "validate two valid files" 0
if [ "$(grep -c ': ok$' "$T/out")" -eq 2 ]; then pass; else fail "two ok lines"; fi

run memo validate "$FULL11"
expect_rc "validate Full 1.1 (http URLs)" 1
expect_lines "validate Full 1.1 lines" "$FULL11"
expect_no_out "validate Full 1.1 not ok" ": ok\$"
expect_out "validate Full 1.1 has an error line" "^$FULL11:[1-9][0-9]*:[1-9][0-9]*: [A-Z][A-Z0-9-]*: "

run memo validate --level xsd "$FULL11"
expect_rc "validate --level xsd Full 1.1" 0
expect_out "validate --level xsd Full 1.1 ok" "^$FULL11: ok\$"
run memo validate --level=ngdp "$FULL11"
expect_rc "validate --level=ngdp Full 1.1" 1
run memo validate --level schematron "$FULL11"
expect_rc "validate bad level" 2
run memo validate --level
expect_rc "validate --level without value" 2
run memo validate
expect_rc "validate without files" 2

run memo validate "$MIN12" "$FULL11"
expect_rc "validate valid + invalid" 1
expect_out "validate valid + invalid: valid one ok" "^$MIN12: ok\$"

# MeMo is UTF-8: a letter declaring another encoding is refused (XML-ENCODING)
sed 's/encoding="UTF-8"/encoding="UTF-7"/' "$MIN12" >"$T/utf7.xml"
run memo validate "$T/utf7.xml"
expect_rc "validate UTF-7 letter" 1
expect_out "validate UTF-7 letter: XML-ENCODING" "^$T/utf7.xml:1:[0-9]+: XML-ENCODING: .*UTF-7.*must be UTF-8"
sed 's/encoding="UTF-8"/encoding="utf-8"/' "$MIN12" >"$T/lower.xml"
run memo validate "$T/lower.xml"
expect_rc "validate utf-8 (lower case) letter" 0

# stdin
run_in "$MIN12" memo validate -
expect_rc "validate stdin" 0
expect_out "validate stdin named -" "^-: ok\$"
run_in "$FULL11" memo validate -
expect_rc "validate stdin invalid" 1
expect_lines "validate stdin lines" "-"

# missing file: message on stderr, exit 2, other files still checked
run memo validate "$T/no-such.xml" "$MIN12"
expect_rc "validate missing file" 2
expect_err "validate missing file message" "^kuvert: memo validate: .*no-such\\.xml"
expect_out "validate missing file: others checked" "^$MIN12: ok\$"
run memo validate "$T/no-such.xml" "$FULL11"
expect_rc "validate missing + invalid" 2
expect_out "validate missing + invalid: invalid reported" "^$FULL11:[0-9]+:[0-9]+: "
run memo validate "$T"
expect_rc "validate a directory" 2

# not well-formed, wrong root, empty input
printf '<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2">\n<a>' >"$T/broken.xml"
run memo validate "$T/broken.xml"
expect_rc "validate not well-formed" 1
expect_lines "validate not well-formed lines" "$T/broken.xml"
: >"$T/empty.xml"
run memo validate "$T/empty.xml"
expect_rc "validate empty file" 1
expect_lines "validate empty file lines" "$T/empty.xml"
printf '<html/>' >"$T/html.xml"
run memo validate "$T/html.xml"
expect_rc "validate foreign root" 1

# over the size bound (sparse file, nothing is read): an XML-SIZE verdict, not an I/O error
if truncate -s 141000001 "$T/huge.xml" 2>/dev/null; then
    run memo validate "$T/huge.xml"
    expect_rc "validate over size bound" 1
    expect_out "validate over size bound rule" "^$T/huge.xml:[0-9]+:[0-9]+: XML-SIZE: "
    rm -f "$T/huge.xml"
else
    fail "truncate could not create the sparse test file"
fi

# ---- validate --json ----
run memo validate --json "$FULL11" "$MIN12" "$FULL12"
expect_rc "validate --json exit" 1
if "$PY" - "$T/out" "$FULL11" "$MIN12" "$FULL12" <<'PYEOF'; then pass; else fail "validate --json document"; fi
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["valid"] is False, "top-level valid"
files = doc["files"]
assert [f["file"] for f in files] == sys.argv[2:5], "file names in order"
bad, good, warn = files
assert bad["valid"] is False and bad["errors"] > 0, bad
assert good["valid"] is True and good["errors"] == 0, good
assert all(p["severity"] == "warning" for p in good["problems"]), good
assert warn["valid"] is True and warn["warnings"] > 0, "Full 1.2 warnings"
for f in files:
    assert set(f) >= {"file", "valid", "errors", "warnings", "problems"}, f.keys()
    n_err = sum(1 for p in f["problems"] if p["severity"] == "error")
    n_warn = sum(1 for p in f["problems"] if p["severity"] == "warning")
    assert n_err == f["errors"] and n_warn == f["warnings"], f["file"]
    for p in f["problems"]:
        assert set(p) == {"severity", "rule", "line", "column", "path", "message"}, p
        assert p["severity"] in ("error", "warning")
        assert isinstance(p["line"], int) and isinstance(p["column"], int)
        assert p["rule"] and p["message"]
PYEOF
run memo validate --json "$MIN11"
expect_rc "validate --json valid" 0
if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["valid"] is True and len(d["files"])==1 else 1)' "$T/out"; then pass; else fail "validate --json valid document"; fi
# text and JSON agree on the problems
run memo validate "$FULL11"
cp "$T/out" "$T/text"
run memo validate --json "$FULL11"
if "$PY" - "$T/out" "$T/text" <<'PYEOF'; then pass; else fail "--json and text list the same problems"; fi
import json, sys
doc = json.load(open(sys.argv[1]))
lines = [l.rstrip("\n") for l in open(sys.argv[2])]
f = doc["files"][0]
want = ["%s:%d:%d: %s%s: " % (f["file"], p["line"], p["column"],
        "warning: " if p["severity"] == "warning" else "", p["rule"]) for p in f["problems"]]
assert len(want) == len(lines), (len(want), len(lines))
for w, l in zip(want, lines):
    assert l.startswith(w), (w, l)
PYEOF

# a file name that is not UTF-8 keeps its entry in "files" (its non-ASCII bytes shown as '?'),
# where it was left out ("files": []), even for an invalid letter
NAME=$(printf 'brev-\346.xml')
sed 's/12345678/1234/' "$MIN12" >"$T/$NAME"
run memo validate --json "$T/$NAME"
expect_rc "validate --json, file name not UTF-8: exit" 1
if "$PY" - "$T/out" <<'PYEOF'; then pass; else fail "validate --json, file name not UTF-8: its entry"; fi
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["valid"] is False and len(doc["files"]) == 1, doc
f = doc["files"][0]
assert f["file"].endswith("/brev-?.xml"), f["file"]
assert f["valid"] is False and [p["rule"] for p in f["problems"] if p["severity"] == "error"] == ["NGDP-CVR"], f
PYEOF

# ---- new ----
head -c 3000 /dev/urandom >"$T/brev.pdf"
printf 'Hej med dig\n' >"$T/note.txt"
head -c 1234 /dev/zero >"$T/bilag.pdf"

new_ok() { # name, new-options...: the letter builds (exit 0) and validates
    name=$1
    shift
    run memo new "$@"
    expect_rc "new $name" 0
    cp "$T/out" "$T/new.xml"
    run memo validate "$T/new.xml"
    expect_rc "new $name validates" 0
    expect_out "new $name validate ok" ": ok\$"
}
new_ok "minimal" --sender 12345678 --recipient 2211771212 --label "Brev" --document "$T/brev.pdf"
if grep -q 'memoVersion="1.2"' "$T/new.xml"; then pass; else fail "new defaults to 1.2"; fi
new_ok "everything" --sender 12345678 --sender-label "Kommunen" --recipient 2211771212 \
    --recipient-label "Mette Hansen" --label "Svar på ansøgning" --document "$T/brev.pdf" \
    --attach "$T/note.txt" --attach "$T/bilag.pdf" --value-date 2031-01-15 \
    --action-url "https://example.dk/svar" --action-label "Svar her" --action-code SELVBETJENING \
    --notification "Du har fået post" --reply --reply-by 2031-02-01T12:00:00Z \
    --uuid 0f8fad5b-d9cb-469f-a165-70867728950e
cp "$T/new.xml" "$T/everything.xml"
if grep -q '0f8fad5b-d9cb-469f-a165-70867728950e' "$T/new.xml"; then pass; else fail "new --uuid used"; fi
new_ok "CVR recipient, 1.1" --sender 12345678 --recipient 87654321 --label "Faktura" \
    --document "$T/note.txt" --memo-version 1.1
if grep -q 'memoVersion="1.1"' "$T/new.xml"; then pass; else fail "new --memo-version 1.1"; fi
new_ok "recipient type given" --sender 12345678 --recipient 2211771212 --recipient-type CPR \
    --label "Brev" --document "$T/brev.pdf" --action-url "https://example.dk"
new_ok "nemsms" --nemsms --sender 12345678 --recipient 2211771212 --label "SMS" \
    --notification "Husk din tid i morgen kl. 10"
if grep -q 'MessageBody' "$T/new.xml"; then fail "nemsms has no body"; else pass; fi
new_ok "nemsms 1.1" --nemsms --sender 12345678 --recipient 2211771212 --label "SMS" \
    --notification "Kort besked" --memo-version 1.1
# two runs without --uuid give different UUIDs
"$K" memo new --sender 12345678 --recipient 2211771212 --label A --document "$T/note.txt" >"$T/a.xml" 2>/dev/null
"$K" memo new --sender 12345678 --recipient 2211771212 --label A --document "$T/note.txt" >"$T/b.xml" 2>/dev/null
ua=$(grep -o '<memo:messageUUID>[^<]*' "$T/a.xml" | head -1)
ub=$(grep -o '<memo:messageUUID>[^<]*' "$T/b.xml" | head -1)
if [ -n "$ua" ] && [ "$ua" != "$ub" ]; then pass; else fail "new random UUIDs differ ($ua / $ub)"; fi

new_bad() { # name, new-options...: usage error, exit 2, message on stderr, nothing on stdout
    name=$1
    shift
    run memo new "$@"
    expect_rc "new $name" 2
    expect_err "new $name message" "^kuvert: memo new: "
    if [ -s "$T/out" ]; then fail "new $name wrote stdout"; else pass; fi
}
D="--document $T/brev.pdf"
new_bad "bad recipient" --sender 12345678 --recipient 12345 --label X $D
new_bad "non-digit recipient" --sender 12345678 --recipient 22117712ab --label X $D
new_bad "recipient type mismatch" --sender 12345678 --recipient 2211771212 --recipient-type CVR --label X $D
new_bad "bad recipient type" --sender 12345678 --recipient 2211771212 --recipient-type FOO --label X $D
new_bad "missing sender" --recipient 2211771212 --label X $D
new_bad "bad sender" --sender 1234567 --recipient 2211771212 --label X $D
new_bad "missing recipient" --sender 12345678 --label X $D
new_bad "missing label" --sender 12345678 --recipient 2211771212 $D
new_bad "missing document" --sender 12345678 --recipient 2211771212 --label X
new_bad "unreadable document" --sender 12345678 --recipient 2211771212 --label X --document "$T/nope.pdf"
new_bad "bad value date" --sender 12345678 --recipient 2211771212 --label X $D --value-date 2031-02-30
new_bad "bad reply-by" --sender 12345678 --recipient 2211771212 --label X $D --reply --reply-by tomorrow
new_bad "bad uuid" --sender 12345678 --recipient 2211771212 --label X $D --uuid not-a-uuid
new_bad "bad memo version" --sender 12345678 --recipient 2211771212 --label X $D --memo-version 1.0
new_bad "http action" --sender 12345678 --recipient 2211771212 --label X $D --action-url http://example.dk
new_bad "nemsms without notification" --nemsms --sender 12345678 --recipient 2211771212 --label X
new_bad "stray argument" --sender 12345678 --recipient 2211771212 --label X $D extra

# ---- show ----
run memo show "$T/everything.xml"
expect_rc "show new letter" 0
expect_out "show version" "1\\.2"
expect_out "show uuid" "0f8fad5b-d9cb-469f-a165-70867728950e"
expect_out "show label" "Svar på ansøgning"
expect_out "show sender" "12345678"
expect_out "show sender label" "Kommunen"
expect_out "show recipient" "2211771212"
expect_out "show value date" "2031-01-15"
expect_out "show reply deadline" "2031-02-01T12:00:00Z"
expect_out "show main document size" "brev\\.pdf.*3000 bytes"
expect_out "show attachment size" "bilag\\.pdf.*1234 bytes"
expect_out "show text attachment" "note\\.txt.*text/plain.*12 bytes"
expect_out "show action" "https://example\\.dk/svar"
expect_out "show action code" "SELVBETJENING"

run memo show "$FULL12"
expect_rc "show Full 1.2" 0
expect_out "show Full 1.2 message type" "DIGITALPOST"
expect_out "show Full 1.2 representative" "87654321"
expect_out "show Full 1.2 reservation" "Opstart Tusindfryd"
expect_out "show Full 1.2 technical document" "TekniskDokument\\.xml"
expect_out "show Full 1.2 forward data" "kommentar til modtageren"
expect_out "show Full 1.2 reply data" "SAG-456"
expect_out "show Full 1.2 MIME" "application/msword"
# NemSMS: header only
"$K" memo new --nemsms --sender 12345678 --recipient 87654321 --label "SMS" \
    --notification "Din tid er flyttet" --uuid 1b4e28ba-2fa1-41d2-883f-0016d3cca427 \
    >"$T/sms.xml" 2>/dev/null
run_in "$T/sms.xml" memo show -
expect_rc "show NemSMS from stdin" 0
expect_out "show NemSMS type" "NEMSMS"
expect_out "show NemSMS text" "Din tid er flyttet"
expect_out "show NemSMS recipient CVR" "87654321 \\(CVR\\)"
expect_out "show NemSMS has no body" "^Documents: +none"
# control characters in a letter are not passed to the terminal
sed 's#<memo:label>Svar på ansøgning</memo:label>#<memo:label>A\&\#10;B\&\#155;[31mC</memo:label>#' \
    "$T/everything.xml" >"$T/esc.xml"
run memo show "$T/esc.xml"
expect_rc "show letter with control character" 0
expect_out "show replaces control characters" "^Label: +A\\?B\\?\\[31mC\$"
if grep -q "$(printf '\302\233')" "$T/out"; then fail "show printed a CSI"; else pass; fi
run memo show "$T/broken.xml"
expect_rc "show not well-formed" 1
expect_lines "show not well-formed lines" "$T/broken.xml"
run memo show "$T/no-such.xml"
expect_rc "show missing file" 2
run memo show
expect_rc "show without file" 2
run memo show "$MIN11" "$MIN12"
expect_rc "show two files" 2

# ---- upgrade ----
# Full 1.1 with its http:// Action URLs made https: a valid 1.1 letter to upgrade.
sed 's#<memo:url>http://#<memo:url>https://#' "$FULL11" >"$T/full11s.xml"
run memo validate "$T/full11s.xml"
expect_rc "Full 1.1 with https validates" 0
run memo upgrade "$T/full11s.xml"
expect_rc "upgrade Full 1.1" 0
cp "$T/out" "$T/up.xml"
if grep -q 'memoVersion="1.2"' "$T/up.xml" && ! grep -q memoSchVersion "$T/up.xml"; then pass; else fail "upgrade writes memoVersion 1.2 without memoSchVersion"; fi
run memo validate "$T/up.xml"
expect_rc "upgraded letter validates" 0
run memo show "$T/up.xml"
expect_rc "show upgraded" 0
expect_out "show upgraded reports 1.2" "[Vv]ersion.*1\\.2"
run_in "$MIN11" memo upgrade -
expect_rc "upgrade stdin" 0
if grep -q 'memoVersion="1.2"' "$T/out"; then pass; else fail "upgrade stdin output"; fi
run memo upgrade "$FULL12"
expect_rc "upgrade already 1.2" 0
cp "$T/out" "$T/up2.xml"
run memo validate "$T/up2.xml"
expect_rc "re-written 1.2 validates" 0
run memo upgrade "$T/up2.xml"
if cmp -s "$T/out" "$T/up2.xml"; then pass; else fail "upgrade of canonical 1.2 is a fixed point"; fi
run memo upgrade "$T/sms.xml"
expect_rc "upgrade 1.2 NemSMS" 0
"$K" memo new --nemsms --memo-version 1.1 --sender 12345678 --recipient 2211771212 \
    --label "SMS" --notification "Kort besked" >"$T/sms11.xml" 2>/dev/null
run memo upgrade "$T/sms11.xml"
expect_rc "upgrade 1.1 NemSMS" 0
cp "$T/out" "$T/sms12.xml"
run memo show "$T/sms12.xml"
expect_out "upgraded NemSMS is 1.2" "^MeMo version: +1\\.2\$"
expect_out "upgraded NemSMS keeps its text" "Kort besked"
run memo upgrade "$FULL11"
expect_rc "upgrade invalid input" 1
expect_err "upgrade invalid: problems on stderr" "^$FULL11:[0-9]+:[0-9]+: [A-Z][A-Z0-9-]*: "
if [ -s "$T/out" ]; then fail "upgrade invalid wrote stdout"; else pass; fi
run memo upgrade "$T/no-such.xml"
expect_rc "upgrade missing file" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
