#!/usr/bin/env bash
# A/B of two Herald builds on the same machine under the same load: both
# serve a fresh SQLite database side by side and bench.py drives each in
# turn, round after round (ORDER sets who goes first in a round).
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [rounds]      (SCENARIOS=create,... picks bench.py scenarios)
#   OLD_ENV / NEW_ENV add settings to one side, e.g. the same binary with and
#   without view counting: OLD_ENV=HERALD_ANALYTICS_ENABLED=false bench/ab.sh B B
#   BACKEND=postgres serves each side from a fresh PostgreSQL database of its own
#   (herald_ab_old / herald_ab_new on PG_URL, default postgres://postgres@127.0.0.1:5432).
#   e.g. git worktree add /tmp/old <rev> && (cd /tmp/old && cargo build --release)
#        bench/ab.sh /tmp/old/target/release/herald target/release/herald 3
set -euo pipefail
old_bin="$1" new_bin="$2" rounds="${3:-3}"
if ! command -v wrk >/dev/null; then
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
ORDER="${ORDER:-new old}"
SCENARIOS="${SCENARIOS:-list,article,tags}"
work="$(mktemp -d)"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
database_url() { # dir side
    if [[ ${BACKEND:-sqlite} == postgres ]]; then
        psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS herald_ab_$2" -c "CREATE DATABASE herald_ab_$2" >/dev/null
        echo "$PG_URL/herald_ab_$2?sslmode=disable"
    else
        echo "sqlite:$1/herald.db"
    fi
}
start() { # binary port dir extra-env side
    mkdir -p "$3"
    env $4 HERALD_LISTEN="127.0.0.1:$2" HERALD_DATABASE_URL="$(database_url "$3" "$5")" HERALD_LOG=warn \
        HERALD_LOG_FORMAT=json HERALD_RATE_LIMIT_READ_PER_MINUTE=100000000 \
        HERALD_RATE_LIMIT_WRITE_PER_MINUTE=10000000 HERALD_RATE_LIMIT_AUTH_PER_MINUTE=100000 \
        HERALD_RATE_LIMIT_ENGAGEMENT_PER_MINUTE=100000000 \
        HERALD_MAX_IN_FLIGHT=4096 HERALD_MAX_CONNECTIONS_PER_IP=100000 "$1" serve >"$3/log" 2>&1 &
    echo $!
}
old_port=18081 new_port=18082
old_pid="$(start "$old_bin" $old_port "$work/old" "${OLD_ENV:-}" old)"
new_pid="$(start "$new_bin" $new_port "$work/new" "${NEW_ENV:-}" new)"
trap 'kill $old_pid $new_pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 2
for round in $(seq 1 "$rounds"); do
    for who in $ORDER; do
        port=$old_port; [[ $who == new ]] && port=$new_port
        echo "== round $round: $who"
        python3 "$(dirname "$0")/bench.py" --url "http://127.0.0.1:$port" --duration 5s \
            --scenarios "$SCENARIOS" --out "$work/$who-$round" | grep -E '^  (GET|POST|engagement|stress|mixed|read|write)'
    done
done
# Each side's peak resident memory over every round (the kernel's high-water mark).
for who in old new; do
    pid=$old_pid; [[ $who == new ]] && pid=$new_pid
    echo "== peak RSS $who: $(awk '/^VmHWM:/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")"
done
