#!/bin/sh
# `make run`: kuvert's main job. Until the hub lands, that is validating the bundled example
# letters and printing each verdict (kuvert memo validate exits 1 when any letter is invalid,
# which is the expected outcome for some examples, so the exit status is reported, not fatal).
set -u
KUVERT=${1:-build/release/kuvert}
cd "$(dirname "$0")/.."
"$KUVERT" memo validate tests/data/examples/*.xml
echo "kuvert memo validate exit status: $?"
