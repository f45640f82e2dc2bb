#!/usr/bin/env bash
# Runs the official RealWorld API test collection against Herald.
#
#   scripts/realworld-conformance.sh [sqlite|postgres]
#
# Installs newman (pinned) into .tools/ from npm, builds Herald, starts it on
# a free port with a fresh database (a temp SQLite file, or a new PostgreSQL
# database made from HERALD_TEST_POSTGRES_URL and dropped afterwards), runs
# the collection with a fresh user, stops Herald and exits non-zero on any
# failed request or assertion.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backend="${1:-sqlite}"
NEWMAN_VERSION=6.2.2
collection="${REALWORLD_COLLECTION:-../shared/realworld/Conduit.postman_collection.json}"
tools=".tools/newman-$NEWMAN_VERSION"

if [[ ! -f "$collection" ]]; then
    echo "error: collection not found at $collection (set REALWORLD_COLLECTION)" >&2
    exit 2
fi
if [[ ! -x "$tools/node_modules/.bin/newman" ]]; then
    echo "==> installing newman $NEWMAN_VERSION into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "newman@$NEWMAN_VERSION" >/dev/null
fi

build_herald

workdir="$(mktemp -d)"
pg_db=""
cleanup() {
    stop_herald
    drop_database
    rm -rf "$workdir"
}
trap cleanup EXIT

case "$backend" in
    sqlite | postgres) fresh_database "$backend" "$workdir" herald_rw ;;
    *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

port="$(free_port)"
echo "==> starting herald on 127.0.0.1:$port ($backend)"
export HERALD_LISTEN="127.0.0.1:$port" HERALD_DATABASE_URL="$database_url" HERALD_LOG_FORMAT=json HERALD_LOG=warn
start_herald "$workdir/herald.log"

suffix="$(date +%s%N | tail -c 10)"
echo "==> running the RealWorld collection"
status=0
"$tools/node_modules/.bin/newman" run "$collection" \
    --global-var "APIURL=http://127.0.0.1:$port/api" \
    --global-var "USERNAME=rw$suffix" \
    --global-var "EMAIL=rw$suffix@example.com" \
    --global-var "PASSWORD=conformance-$suffix" \
    --color off --disable-unicode || status=$?

if [[ $status -ne 0 ]]; then
    echo "==> FAILED ($backend); herald's log:" >&2
    tail -n 50 "$workdir/herald.log" >&2
    exit "$status"
fi
echo "==> RealWorld conformance passed on $backend"
