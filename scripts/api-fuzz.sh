#!/usr/bin/env bash
# Runs schemathesis (property-based API testing from the OpenAPI document)
# against a running Herald: every operation of /openapi.json is called with
# generated valid and invalid input, and the run fails on any 5xx response
# or any response that does not match its documented status, content type
# and schema.
#
#   scripts/api-fuzz.sh [max-examples-per-operation]
#   FUZZ_ONLY=/api/v1/analyze scripts/api-fuzz.sh    # one path only
#
# Installs schemathesis (pinned) into .tools/ from PyPI, builds Herald,
# starts it on a free port over a fresh SQLite file with rate limits raised
# (the fuzzer is one very busy client), registers a user and runs as them
# with an API key: unlike a session, a key survives the fuzzer calling the
# sign-out endpoints, so every operation is exercised.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ST_VERSION=4.32.5
max_examples="${1:-25}"
venv=".tools/schemathesis-$ST_VERSION"

if [[ ! -x "$venv/bin/schemathesis" ]]; then
    echo "==> installing schemathesis $ST_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

build_herald

workdir="$(mktemp -d)"
cleanup() {
    stop_herald
    rm -rf "$workdir"
}
trap cleanup EXIT

port="$(free_port)"
base="http://127.0.0.1:$port"
export HERALD_LISTEN="127.0.0.1:$port" HERALD_DATABASE_URL="sqlite:$workdir/herald.db" \
    HERALD_LOG_FORMAT=json HERALD_LOG=warn \
    HERALD_RATE_LIMIT_AUTH_PER_MINUTE=1000000 HERALD_RATE_LIMIT_WRITE_PER_MINUTE=10000000 \
    HERALD_RATE_LIMIT_READ_PER_MINUTE=100000000 HERALD_LOGIN_FREE_FAILURES=1000 \
    HERALD_RATE_LIMIT_ENGAGEMENT_PER_MINUTE=100000000 \
    HERALD_LLM_RATE_LIMIT_PER_MINUTE=1000000 HERALD_ACCESS_TOKEN_TTL_SECS=86400 \
    HERALD_ARGON2_MEMORY_KIB=64 HERALD_ARGON2_ITERATIONS=1
echo "==> starting herald on $base"
start_herald "$workdir/herald.log"

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
session="$(curl -fsS -H 'content-type: application/json' \
    -d '{"email":"fuzzer@example.com","username":"fuzzer","password":"a long fuzzing passphrase"}' \
    "$base/api/v1/auth/register" | json_field access_token)"
# A few keys first, so the fuzzer's own is not the one with the smallest id
# (the first a generated DELETE /api-keys/{id} would hit).
for n in 1 2 3 4 5 6 7 8; do
    curl -fsS -o /dev/null -H "authorization: Bearer $session" -H 'content-type: application/json' \
        -d "{\"name\":\"decoy $n\",\"scopes\":[\"read\"]}" "$base/api/v1/api-keys"
done
token="$(curl -fsS -H "authorization: Bearer $session" -H 'content-type: application/json' \
    -d '{"name":"fuzzer","scopes":["read","write"]}' "$base/api/v1/api-keys" | json_field key)"

echo "==> schemathesis: $max_examples examples per operation"
status=0
"$venv/bin/schemathesis" run "$base/openapi.json" ${FUZZ_ONLY:+--include-path "$FUZZ_ONLY"} \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$max_examples" --seed 20261127 --workers 2 \
    --generation-database none --no-color --warnings off || status=$?

if [[ $status -ne 0 ]]; then
    echo "==> FAILED; herald's log (warnings and errors):" >&2
    tail -n 40 "$workdir/herald.log" >&2
    exit "$status"
fi
echo "==> schemathesis passed"
