#!/usr/bin/env bash
# Herald Studio end to end in a real headless Chromium, on SQLite and on
# PostgreSQL: sign in, compose with live counters (over the limit for X),
# schedule a post seconds ahead and watch the open list turn it published,
# open its analytics after a few views, search, subscribe a webhook to a
# local receiver and see a delivery in its log, create an API key, sign out; axe-core checks every page and
# screenshots of each page at 375 and 1440 px wide go to
# target/studio-screenshots/<backend>/ (git-ignored; CI keeps them).
#
#   scripts/studio-browser.sh [sqlite|postgres]...   (default: both)
#
# Installs Debian's chromium when it is missing and playwright-core and
# axe-core (pinned) from npm into .tools/; nothing is downloaded at test time
# beyond those packages.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PLAYWRIGHT_VERSION=1.65.2
AXE_VERSION=4.14.1
export TOOLS="$PWD/.tools/studio-browser-$PLAYWRIGHT_VERSION-$AXE_VERSION"

if [[ ! -x /usr/bin/chromium ]]; then
    echo "==> installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
fi
if [[ ! -d "$TOOLS/node_modules/playwright-core" || ! -d "$TOOLS/node_modules/axe-core" ]]; then
    echo "==> installing playwright-core $PLAYWRIGHT_VERSION and axe-core $AXE_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
        "playwright-core@$PLAYWRIGHT_VERSION" "axe-core@$AXE_VERSION" >/dev/null
fi

build_herald

backends=("$@")
[[ ${#backends[@]} -eq 0 ]] && backends=(sqlite postgres)

run_backend() {
    local backend=$1 workdir pg_db="" database_url
    workdir="$(mktemp -d)"
    cleanup_backend() {
        stop_herald
        drop_database
        rm -rf "$workdir"
    }
    trap cleanup_backend RETURN
    case "$backend" in
        sqlite | postgres) fresh_database "$backend" "$workdir" herald_studio ;;
        *) echo "usage: $0 [sqlite|postgres]..." >&2; return 2 ;;
    esac
    local port password="studio-browser-$RANDOM-$RANDOM"
    port="$(free_port)"
    export HERALD_LISTEN="127.0.0.1:$port" HERALD_DATABASE_URL="$database_url" HERALD_LOG_FORMAT=json HERALD_LOG=warn
    # The test's webhook receiver listens on loopback.
    export HERALD_WEBHOOK_ALLOW_PRIVATE_TARGETS=true
    echo "$password" | "$herald" admin create-user --email admin@example.com --username admin --role admin >/dev/null
    echo "==> studio in chromium ($backend) on 127.0.0.1:$port"
    start_herald "$workdir/herald.log"
    rm -rf "target/studio-screenshots/$backend"
    if ! node scripts/studio/browser-test.cjs "http://127.0.0.1:$port" admin "$password" "target/studio-screenshots/$backend"; then
        echo "==> FAILED ($backend); herald's log:" >&2
        tail -50 "$workdir/herald.log" >&2
        return 1
    fi
}

for backend in "${backends[@]}"; do
    run_backend "$backend"
done
