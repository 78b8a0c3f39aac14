#!/bin/sh
# `make run`: kuvert's main job. Validates the bundled example letters (printing each
# verdict; some examples are invalid on purpose), seeds a demo dataset into ./kuvert-data on
# first run (printing its API tokens; they are also kept in ./kuvert-data/demo-tokens.txt),
# then serves the hub on http://127.0.0.1:8080 until Ctrl-C, its e-mail going to a local SMTP
# sink (tools/demo_mail_sink.py, into DATA/demo-mail.log). Override with KUVERT_DATA,
# KUVERT_LISTEN and KUVERT_DEMO_SMTP_PORT.
set -u
KUVERT=${1:-build/release/kuvert}
cd "$(dirname "$0")/.."
DATA=${KUVERT_DATA:-./kuvert-data}
LISTEN=${KUVERT_LISTEN:-127.0.0.1:8080}

echo "== kuvert memo validate tests/data/examples/*.xml"
"$KUVERT" memo validate tests/data/examples/*.xml
echo "(exit status $?: the NemSMS, with_attachment, Full 1.1 and itk-dev fixtures are expected to fail)"
echo
if [ ! -f "$DATA/kuvert.db" ]; then
    echo "== kuvert demo --data $DATA"
    tmp=$(mktemp)
    "$KUVERT" demo --data "$DATA" >"$tmp" || { cat "$tmp"; rm -f "$tmp"; exit 1; }
    cat "$tmp"
    mv "$tmp" "$DATA/demo-tokens.txt"
else
    echo "== demo data already in $DATA (tokens: $DATA/demo-tokens.txt; delete $DATA to reseed)"
fi
echo
# The local SMTP sink for the hub's e-mails (notices of new post to the demo citizen's
# confirmed address, docs/notifications.md): tools/demo_mail_sink.py, mails decoded into a file.
SMTP_PORT=${KUVERT_DEMO_SMTP_PORT:-2525}
MAIL_LOG="$DATA/demo-mail.log"
SMTP_ARGS=""
SINK=""
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
    /usr/bin/python3 tools/demo_mail_sink.py 127.0.0.1 "$SMTP_PORT" "$MAIL_LOG" &
    SINK=$!
    trap 'kill $SINK 2>/dev/null' EXIT
    i=0 # wait (bounded) until it accepts connections
    while [ $i -lt 50 ] && ! /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" "$SMTP_PORT" 2>/dev/null; do
        i=$((i + 1)); sleep 0.1
    done
    SMTP_ARGS="--smtp smtp://127.0.0.1:$SMTP_PORT"
    echo "== e-mail: a local SMTP sink on 127.0.0.1:$SMTP_PORT writes every mail to $MAIL_LOG"
    echo "   (Mette Hansen, CPR 2211771212, has the confirmed address mette.hansen@example.dk;"
    echo "   her notices of new post land there; settings at http://$LISTEN/post/indstillinger/)"
else
    echo "== e-mail: python3-aiosmtpd missing (sh tools/deps.sh); mails stay queued"
fi
echo
echo "== kuvert serve --data $DATA --listen $LISTEN --test-login $SMTP_ARGS"
echo "   open http://$LISTEN/ and sign in as a demo identity (test sign-in: never for real post)"
echo "   Testportal: sign in as tove.tester@kommunen.dk (Tove Tester) and open http://$LISTEN/testportal/"
echo "   -- test citizens, test messages, and \"sign in as\" into the test mailbox (docs/testportal.md)"
echo "   Adgangsportal: sign in as 2211771212 (Mette Hansen) and open http://$LISTEN/adgangsportal/"
echo "   -- her app devices Mettes iPhone (push) and Mettes iPad, and this browser (docs/adgangsportal.md)"
# shellcheck disable=SC2086
"$KUVERT" serve --data "$DATA" --listen "$LISTEN" --test-login $SMTP_ARGS
