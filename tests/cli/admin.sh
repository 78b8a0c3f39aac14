#!/bin/sh
# SPDX-License-Identifier: MIT
#
# admin.sh: black-box tests of the administrative commands (org, system, mailbox, user,
# events verify, demo): text and --json output (parsed with /usr/bin/python3), exit codes
# (0 ok, 1 failure, 2 usage), --help everywhere, the KUVERT_DATA default, duplicate and
# invalid input, and event-log tampering found by `events verify`. Env KUVERT = the binary.
# Prints "N passed, N failed" and exits non-zero when any check failed.
set -u
cd "$(dirname "$0")/../.."
K=${KUVERT:-build/release/kuvert}
# KUVERT_TEST_PG set without KUVERT_REAL: the caller named the plain binary but a test
# database, so run it through the PostgreSQL pass's wrapper (as tests/run.sh does); otherwise
# the binary would use SQLite while the checks below (and tests/it/dbq.py) read PostgreSQL.
if [ -n "${KUVERT_TEST_PG:-}" ] && [ -z "${KUVERT_REAL:-}" ]; then
    KUVERT_REAL=$(realpath "$K")
    export KUVERT_REAL
    K=$PWD/tests/kuvert-pg.sh
fi
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
D=$T/data
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    echo "  stdout: $(head -c 600 "$T/out" 2>/dev/null)"
    echo "  stderr: $(head -c 600 "$T/err" 2>/dev/null)"
}
run() {
    "$K" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
# expect RC DESCRIPTION: checks the last exit status.
expect() {
    if [ "$rc" -eq "$1" ]; then pass; else fail "$2 (exit $rc, want $1)"; fi
}
# json EXPR DESCRIPTION: evaluates a Python expression over j = the JSON on stdout.
json() {
    if $PY -c "import json,sys; j=json.load(open('$T/out')); sys.exit(0 if ($1) else 1)" 2>/dev/null
    then pass; else fail "$2: $1"; fi
}
out_has() {
    if grep -q -- "$1" "$T/out"; then pass; else fail "stdout lacks \"$1\""; fi
}
err_has() {
    if grep -q -- "$1" "$T/err"; then pass; else fail "stderr lacks \"$1\""; fi
}

# --help everywhere, exit 0
for c in "org" "org add" "org show" "system" "system add" "system show" "mailbox" "mailbox add" \
    "mailbox close" "user" "user token" "user token list" "user token revoke" \
    "system rotate-secret" "delegation" "delegation add" "delegation remove" "delegation list" \
    "events" "events verify" "demo"; do
    # shellcheck disable=SC2086
    run $c --help
    expect 0 "$c --help"
    out_has "usage: kuvert"
done

# usage errors: exit 2
run org add --data "$D" --cvr 12345678
expect 2 "org add without --name"
run org frobnicate
expect 2 "unknown subcommand"
run system add --data "$D" --org 12345678 --kind printer --name X
expect 2 "bad --kind"
run system add --data "$D" --org 12345678 --kind sender --name X --receipt-url ftp://x
expect 2 "non-http receipt URL"
run mailbox add --data "$D" --cpr 2211771212 --cvr 12345678
expect 2 "both --cpr and --cvr"
run mailbox add --data "$D"
expect 2 "neither --cpr nor --cvr"
run user token --data "$D" --bogus
expect 2 "unknown option"
run system add --data "$D" --org
expect 2 "option without value"

# organisations
run org add --data "$D" --cvr 12345678 --name Kommunen
expect 0 "org add"
out_has "created organisation 12345678"
if [ -n "${KUVERT_TEST_PG:-}" ]; then # PostgreSQL pass: the database is not in DIR
    [ ! -e "$D/kuvert.db" ] && pass || fail "kuvert.db written although --db names PostgreSQL"
else
    [ -f "$D/kuvert.db" ] && pass || fail "no kuvert.db in the data dir"
    [ "$(stat -c %a "$D")" = 700 ] && pass || fail "data dir mode is not 0700"
fi
run org add --data "$D" --cvr 12345678 --name Kommunen
expect 1 "duplicate org"
err_has "kuvert: org add: organisation 12345678 already exists"
run org add --data "$D" --cvr 1234 --name Short
expect 1 "malformed CVR"
err_has "not a CVR number"
run org add --data "$D" --cvr 11223344 --name "Demo Styrelsen" --json
expect 0 "org add --json"
json "sorted(j) == ['cvr', 'id', 'name'] and j['cvr'] == '11223344' and j['name'] == 'Demo Styrelsen' and len(j['id']) == 36" "org add --json shape"
ORG_ID=$($PY -c "import json; print(json.load(open('$T/out'))['id'])")
run org show --data "$D" 11223344 --json
expect 0 "org show"
json "j['name'] == 'Demo Styrelsen' and j['id'] == '$ORG_ID'" "org show --json"
run org show --data "$D" "$(printf '%s' "$ORG_ID" | tr a-f A-F)" --json
expect 0 "org show by id"
json "j['cvr'] == '11223344'" "org show by id (any case)"
run org show --data "$D" 99999999
expect 1 "org show unknown"

# systems
run system add --data "$D" --org 12345678 --kind sender --name "Sagssystem" \
    --receipt-url https://example.invalid/r --contact-email drift@kommunen.invalid --json
expect 0 "system add --json"
json "set(j) == {'id', 'token'} and len(j['id']) == 36" "system add --json shape"
SYS=$($PY -c "import json; print(json.load(open('$T/out'))['id'])")
TOK=$($PY -c "import json; print(json.load(open('$T/out'))['token'])")
$PY -c "import base64,sys; i,s=base64.b64decode('$TOK').decode().split(':'); sys.exit(0 if i=='$SYS' and len(s)==64 else 1)" \
    && pass || fail "token is not base64(id:secret)"
run system add --data "$D" --org 12345678 --kind sender --name "Andet"
expect 0 "system add text"
out_has "^id: "
out_has "^token: "
run system add --data "$D" --org 99999999 --kind sender --name X
expect 1 "system for unknown org"
err_has "no organisation"
run system add --data "$D" --org 12345678 --kind recipient --name R --protocol push
expect 2 "push recipient without URL"
err_has "pushUrl"
run system add --data "$D" --org 12345678 --kind recipient --name R --protocol push \
    --push-url https://example.invalid/p --default --json
expect 0 "recipient system"
run system show --data "$D" "$SYS" --json
expect 0 "system show --json"
json "j['id'] == '$SYS' and j['org'] == '12345678' and j['kind'] == 'sender' and j['status'] == 'active' and j['receiptUrl'] == 'https://example.invalid/r' and j['contactEmail'] == 'drift@kommunen.invalid' and j['default'] is False and j['created'].endswith('Z')" "system show --json shape"
run system show --data "$D" "$SYS"
expect 0 "system show text"
out_has "status: *active"
run system deactivate --data "$D" "$SYS" --json
expect 0 "system deactivate"
json "j['status'] == 'deactivated'" "deactivated status"
run system activate --data "$D" "$SYS"
expect 0 "system activate"
run system show --data "$D" 00000000-0000-4000-8000-000000000000
expect 1 "system show unknown"

# mailboxes
run mailbox add --data "$D" --cpr 2211771212 --name "Mette Hansen" --json
expect 0 "mailbox add cpr"
json "j['ownerType'] == 'CPR' and j['ownerId'] == '2211771212' and j['status'] == 'REGISTERED' and j['name'] == 'Mette Hansen' and j['closed'] is None" "mailbox add --json"
run mailbox add --data "$D" --cpr 2211771212
expect 1 "duplicate mailbox"
err_has "already exists"
run mailbox add --data "$D" --cpr 3002901234
expect 1 "CPR with 30 February"
err_has "not a CPR number"
run mailbox add --data "$D" --cpr 22117712
expect 1 "short CPR"
run mailbox add --data "$D" --cpr 0101701234 --exempt --address "Hovedgaden 1, 1000 København K" --json
expect 0 "exempt mailbox"
json "j['status'] == 'EXEMPT' and j['address'].startswith('Hovedgaden 1')" "exempt --json"
run mailbox add --data "$D" --cvr 33445566 --name "Bageriet ApS"
expect 0 "company mailbox"
out_has "created mailbox CVR 33445566 (REGISTERED)"
run mailbox close --data "$D" --cvr 33445566 --json
expect 0 "mailbox close"
json "j['status'] == 'CLOSED' and j['closed'].endswith('Z')" "close --json"
run mailbox close --data "$D" --cvr 33445566
expect 1 "close twice"
err_has "already closed"
run mailbox close --data "$D" --cpr 1502851236
expect 1 "close unknown"
run mailbox show --data "$D" --cpr 0101701234
expect 0 "mailbox show"
out_has "status:  EXEMPT"

# user tokens
run user token --data "$D" --cpr 2211771212
expect 0 "user token"
if grep -Eq '^kvu_[0-9a-f]{64}$' "$T/out"; then pass; else fail "user token format"; fi
run user token --data "$D" --cpr 2211771212 --json
expect 0 "user token --json"
json "j['token'].startswith('kvu_') and j['ownerId'] == '2211771212'" "user token --json"
run user token --data "$D" --cpr 1502851236
expect 1 "user token without mailbox"

# KUVERT_DATA default
KUVERT_DATA="$D" "$K" org show 12345678 >"$T/out" 2>"$T/err"
rc=$?
expect 0 "KUVERT_DATA"
out_has "Kommunen"

# event log: every admin write logged, chain intact, then tampering detected
run events verify --data "$D"
expect 0 "events verify"
out_has "^ok: [0-9]* events$"
run events verify --data "$D" --json
json "j['ok'] is True and j['events'] >= 12" "events verify --json"
N=$($PY -c "import json; print(json.load(open('$T/out'))['events'])")
DBQ="$PY $(dirname "$0")/../it/dbq.py" # SQL on the data dir's database (SQLite or PostgreSQL)
{
    $DBQ "$D" "UPDATE events SET subject = 'cpr:0000000000' WHERE seq = 5"
    run events verify --data "$D"
    expect 1 "verify after edit"
    out_has "seq 5"
    run events verify --data "$D" --json
    json "j['ok'] is False and j['brokenSeq'] == 5 and j['events'] == 4" "verify --json broken"
    D3=$T/data3
    "$K" org add --data "$D3" --cvr 12345678 --name A >/dev/null 2>&1
    "$K" org add --data "$D3" --cvr 11223344 --name B >/dev/null 2>&1
    "$K" org add --data "$D3" --cvr 55667788 --name C >/dev/null 2>&1
    $DBQ "$D3" "DELETE FROM events WHERE seq = 2"
    run events verify --data "$D3"
    expect 1 "verify after delete"
    out_has "seq 2"
}
[ "$N" -gt 0 ] && pass || fail "event count"

# demo
D2=$T/demo
run demo --data "$D2" --json
expect 0 "demo --json"
json "len([s for s in j['systems'] if s['org'] == '12345678' and s['kind'] == 'sender']) == 1" "demo: Kommunen sender"
json "any(m['ownerId'] == '2211771212' and m['status'] == 'REGISTERED' for m in j['mailboxes'])" "demo: 2211771212"
json "any(m['ownerId'] == '0101701234' for m in j['mailboxes'])" "demo: 0101701234"
json "any(m['status'] == 'EXEMPT' for m in j['mailboxes']) and any(m['status'] == 'CLOSED' for m in j['mailboxes'])" "demo: exempt + closed"
json "any(m['ownerType'] == 'CVR' for m in j['mailboxes'])" "demo: companies"
json "all(len(s['token']) > 40 for s in j['systems']) and all(u['token'].startswith('kvu_') for u in j['userTokens'])" "demo: tokens"
json "len(j['letters']) >= 3 and all(l['receiptStatus'] == 'RECEIVED' for l in j['letters'])" "demo: letters"
json "len([s for s in j['systems'] if s['org'] == '12345678' and s['kind'] == 'recipient']) == 1" "demo: Kommunen recipient system"
json "any(l['recipient'] == 'CVR:12345678' for l in j['letters'])" "demo: letter to an authority"
KOMRSYS=$($PY -c "import json,sys; print([s['id'] for s in json.load(open('$T/out'))['systems'] if s['org']=='12345678' and s['kind']=='recipient'][0])")
run contact-point list --data "$D2" --org 12345678 --json
expect 0 "demo contact points"
json "sorted(p['name'] for p in j['contactPoints']) == ['Borgerservice', 'Byggetilladelser', 'Myndighedspost'] and all(p['systemId'] == '$KOMRSYS' for p in j['contactPoints'])" "demo: a small contact structure (Borgerservice and two more points)"
run system show --data "$D2" "$KOMRSYS" --json
json "j['default'] in (True, 1) and j['protocol'] == 'pull'" "demo: default pull system"
run org show --data "$D2" 12345678
expect 0 "demo org"
out_has "Kommunen"
run mailbox show --data "$D2" --cpr 3112991234 --json
json "j['status'] == 'CLOSED'" "demo: closed mailbox"
run events verify --data "$D2"
expect 0 "demo events verify"
run demo --data "$D2"
expect 1 "demo twice"
err_has "already holds the demo data"
run demo --data "$T/demo-text"
expect 0 "demo text"
out_has "token"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
