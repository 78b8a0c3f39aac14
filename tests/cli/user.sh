#!/bin/sh
# SPDX-License-Identifier: MIT
#
# user.sh: black-box tests of the employee and rights commands (docs/rights.md):
# `kuvert user add|grant|revoke|list|deactivate|reactivate` with --data and --json, exit
# codes (0 ok, 1 refused/failed, 2 usage), the last-rettighedsadministrator rule from the
# shell, --until, user groups and partners through `user list --json`, and that every change
# lands in a verifying event log. Env KUVERT = the binary.
# Prints "N passed, N failed" and exits non-zero when any check failed.
set -u
cd "$(dirname "$0")/../.."
K=${KUVERT:-build/release/kuvert}
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
expect() {
    if [ "$rc" -eq "$1" ]; then pass; else fail "$2 (exit $rc, want $1)"; fi
}
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

for c in "user add" "user grant" "user revoke" "user list" "user deactivate"; do
    # shellcheck disable=SC2086
    run $c --help
    expect 0 "$c --help"
    out_has "usage: kuvert user add"
    out_has "ORGANISATION_USER_ADMINISTRATOR"
    out_has "Rettighedsadministrator"
done

run org add --data "$D" --cvr 29189846 --name Testkommune
expect 0 "org add"
run org add --data "$D" --cvr 11223344 --name "Revisor ApS"
expect 0 "org add partner"

# usage errors
run user add --data "$D" --org 29189846 --name Anne
expect 2 "user add without --email"
run user add --data "$D" --org 29189846 --name Anne --email a@b.dk --right
expect 2 "--right without a value"
run user grant --data "$D" --org 29189846 --right MESSAGE_BASIC
expect 2 "grant without grantee"
run user grant --data "$D" --org 29189846 --right MESSAGE_BASIC --email a@b.dk --until 31-12-2030
expect 2 "grant with a malformed --until"
run user grant --data "$D" --org 29189846 --right MESSAGE_BASIC --email a@b.dk --until 2030-02-30
expect 2 "grant with an impossible --until"
run user revoke --data "$D" --org 29189846
expect 2 "revoke without what"

# the first rettighedsadministrator, made from the shell
run user add --data "$D" --org 29189846 --name "Anne Admin" --email Anne@Kommune.dk \
    --right ORGANISATION_USER_ADMINISTRATOR --right MESSAGE_BASIC --json
expect 0 "user add with rights"
json "j['email'] == 'anne@kommune.dk' and j['org'] == '29189846' and sorted(r['type'] for r in j['rights']) == ['MESSAGE_BASIC', 'ORGANISATION_USER_ADMINISTRATOR']" "user add --json"
run user add --data "$D" --org 29189846 --name "Anne Admin" --email anne@kommune.dk
expect 1 "the same employee twice"
err_has "already an employee"
run user add --data "$D" --org 99999999 --name X --email x@y.dk
expect 1 "unknown organisation"
err_has "no organisation"
run user add --data "$D" --org 29189846 --name X --email x@y.dk --right NOT_A_RIGHT
expect 1 "unknown right"
err_has "unknown right"
run user add --data "$D" --org 29189846 --name "Bo Ansat" --email bo@kommune.dk
expect 0 "user add without rights"
out_has "added Bo Ansat <bo@kommune.dk> to 29189846"

# grant with --until, text and JSON
run user grant --data "$D" --org 29189846 --email BO@kommune.dk --right SYSTEM_MANAGER --until 2030-06-30 --json
expect 0 "grant with --until"
json "j['type'] == 'SYSTEM_MANAGER' and j['activeTo'] == '2030-06-30T22:00:00.000Z' and j['status'] == 'ACTIVE'" "right holds through 30 June (Copenhagen)"
run user grant --data "$D" --org 29189846 --email bo@kommune.dk --right SYSTEM_MANAGER
expect 1 "the same right twice"
run user grant --data "$D" --org 29189846 --email bo@kommune.dk --right MAILBOX_READ
expect 1 "mailbox access is not an organisation right"
run user grant --data "$D" --org 29189846 --email bo@kommune.dk --right MESSAGE_BASIC --until 2001-01-01
expect 1 "an end date in the past"
run user grant --data "$D" --org 29189846 --partner 11223344 --right MESSAGE_BASIC --json
expect 0 "grant to an external partner"
json "j['grantee'] == {'type': 'ORGANISATION', 'cvr': '11223344'} and j['source'] == 'APPOINTED'" "partner grant"

# the last rettighedsadministrator
run user revoke --data "$D" --org 29189846 --email anne@kommune.dk --right ORGANISATION_USER_ADMINISTRATOR
expect 1 "revoking the last rettighedsadministrator"
err_has "without a rettighedsadministrator"
run user deactivate --data "$D" --org 29189846 --email anne@kommune.dk
expect 1 "deactivating the last rettighedsadministrator"
err_has "without a rettighedsadministrator"
run user grant --data "$D" --org 29189846 --email bo@kommune.dk --right ORGANISATION_USER_ADMINISTRATOR --json
expect 0 "a second rettighedsadministrator"
BO_ADMIN=$($PY -c "import json; print(json.load(open('$T/out'))['id'])")
run user revoke --data "$D" --org 29189846 --email anne@kommune.dk --right ORGANISATION_USER_ADMINISTRATOR --json
expect 0 "now the first may go"
json "j['status'] == 'REVOKED'" "revoked"
run user revoke --data "$D" --id "$BO_ADMIN"
expect 1 "and the second may not"
run user deactivate --data "$D" --org 29189846 --email anne@kommune.dk --json
expect 0 "deactivate an employee"
json "j['status'] == 'INACTIVE'" "inactive"
run user reactivate --data "$D" --org 29189846 --email anne@kommune.dk
expect 0 "reactivate"

# list
run user list --data "$D" --org 29189846 --json
expect 0 "list --json"
json "[e['email'] for e in j['employees']] == ['anne@kommune.dk', 'bo@kommune.dk']" "employees by name"
json "sorted(r['type'] for r in j['employees'][1]['rights']) == ['ORGANISATION_USER_ADMINISTRATOR', 'SYSTEM_MANAGER']" "Bo's active rights"
json "len(j['partners']) == 1 and j['partners'][0]['grantee']['cvr'] == '11223344'" "partners"
run user list --data "$D" --org 29189846 --all --json
expect 0 "list --all"
json "any(r['status'] == 'REVOKED' for r in j['employees'][0]['rights'])" "--all shows revoked rights"
run user list --data "$D" --org 29189846
expect 0 "list text"
out_has "Bo Ansat <bo@kommune.dk>"
out_has "Systemadministrator"
out_has "partner 11223344"
run user list --data "$D"
expect 2 "list without --org"

# everything is in the event log, and it verifies
run events verify --data "$D"
expect 0 "event chain verifies"
count_tag() { # TAG: events with this tag in the store
    $PY "$(dirname "$0")/../it/dbq.py" "$D" "SELECT COUNT(*) FROM events WHERE tag = ?" "$1"
}
for t in PRIVILEGES_GRANTED:5 PRIVILEGES_REVOKED:1 EMPLOYEE_ADDED:2 IDENTITY_DEACTIVATED:1 IDENTITY_REACTIVATED:1; do
    n=$(count_tag "${t%%:*}")
    if [ "$n" = "${t##*:}" ]; then pass; else fail "${t%%:*}: $n events, want ${t##*:}"; fi
done

# kuvert demo seeds employees: one rettighedsadministrator in each authority, a
# systemadministrator, a borgerservicemedarbejder, and prints who they are
run demo --data "$T/demo" --json
expect 0 "demo"
json "all(any(e['org'] == o and 'ORGANISATION_USER_ADMINISTRATOR' in e['rights'] for e in j['employees']) for o in ('12345678', '11223344', '55667788'))" "a rettighedsadministrator in each authority"
json "any('SYSTEM_MANAGER' in e['rights'] for e in j['employees']) and any('CITIZEN_SERVICE_EMPLOYEE' in e['rights'] for e in j['employees'])" "a systemadministrator and a borgerservicemedarbejder"
run user list --data "$T/demo" --org 12345678 --json
expect 0 "demo list"
json "any(e['email'] == 'birgit.borgerservice@kommunen.dk' and any(r['type'] == 'CITIZEN_SERVICE_EMPLOYEE' for r in e['rights']) for e in j['employees'])" "the seeded rights are in the store"
json "len(j['groups']) == 1" "the demo user group"
run demo --data "$T/demo2"
expect 0 "demo text"
out_has "anne.rettighed@kommunen.dk"
out_has "Borgerservicemedarbejder"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
