#!/bin/sh
# Installs the Debian 12 packages kuvert needs to build, test and run. As root it runs apt-get;
# otherwise it prints the exact command to run. Idempotent and quiet when nothing is missing.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev libxml2-dev libxml2-utils libcmocka-dev
libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libarchive-dev liblzma-dev
libssl-dev python3 python3-pytest python3-requests python3-aiosmtpd curl xz-utils
gettext chromium libcjose-dev
libpq-dev postgresql-15 python3-psycopg2 patroni etcd-server
libcairo2-dev libpango1.0-dev libpoppler-glib-dev libpng-dev fonts-dejavu-core poppler-utils
libical-dev python3-icalendar"
# Node.js + npm for the pinned front-end and browser-test packages (package-lock.json); Debian's
# nodejs only when no node is installed (a newer one from elsewhere is kept).
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# npm ci (exact versions from package-lock.json) when node_modules is missing or stale.
npm_ci() {
    cd "$(dirname "$0")/.."
    if ! cmp -s package-lock.json node_modules/.kuvert-lock 2>/dev/null; then
        echo "kuvert: npm ci (DKFDS, Playwright, axe-core, oidc-provider)" >&2
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
        cp package-lock.json node_modules/.kuvert-lock
    fi
}
if [ -z "$missing" ]; then
    npm_ci
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    echo "kuvert: installing:$missing" >&2
    # postgresql-15 is for the tests' own throw-away clusters (tests/pg_cluster.sh): do not let
    # the package create and start a system-wide "main" cluster as well.
    case "$missing" in *" postgresql-15"*)
        mkdir -p /etc/postgresql-common/createcluster.d
        [ -e /etc/postgresql-common/createcluster.d/kuvert.conf ] ||
            echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/kuvert.conf ;;
    esac
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    # patroni + etcd-server are for the failover test's own throw-away clusters
    # (tests/failover/): no system-wide etcd left running by the package.
    case "$missing" in *" etcd-server"*)
        command -v systemctl >/dev/null 2>&1 && systemctl disable --now etcd >/dev/null 2>&1 || true ;;
    esac
    npm_ci
else
    echo "kuvert: missing packages; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
