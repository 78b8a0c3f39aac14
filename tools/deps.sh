#!/bin/sh
# Installs the Debian 12 packages kuvert needs to build, test and run. As root it runs apt-get;
# otherwise it prints the exact command to run. Idempotent and quiet when nothing is missing.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev libxml2-dev libxml2-utils libcmocka-dev
libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libarchive-dev
libssl-dev python3 python3-pytest python3-requests python3-aiosmtpd curl xz-utils"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "kuvert: installing:$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "kuvert: missing packages; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
