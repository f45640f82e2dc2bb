#!/usr/bin/env bash
# Fleet check: three PostgreSQL-backed Herald instances sharing Redis behind
# nginx, a mixed workload through nginx (reads, creates, posts scheduled to
# fall due during the run) while the instances are restarted one at a time
# (SIGTERM, wait, start). Then it checks: no request failed; every scheduled
# post was published exactly once (one post.published event each); no
# publication job ran twice; a write through one instance reads fresh through
# the others.
#
#   scripts/fleet.sh [seconds]          (default 60; needs PostgreSQL and Redis)
#
# HERALD_FLEET_POSTGRES_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and HERALD_FLEET_REDIS_URL (default redis://127.0.0.1:6379) point at the services; nginx
# is installed from Debian's packages if missing; HERALD_BIN picks a built binary
# (default: a release build made now).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
admin_url="${HERALD_FLEET_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis_url="${HERALD_FLEET_REDIS_URL:-redis://127.0.0.1:6379}"

if ! command -v nginx >/dev/null; then
    echo "==> installing nginx-light"
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nginx-light >/dev/null
fi
herald="${HERALD_BIN:-}"
if [[ -z "$herald" ]]; then
    echo "==> building herald (release)"
    cargo build --release --quiet --bin herald
    herald=target/release/herald
fi

work="$(mktemp -d)"
db="herald_fleet_$$"
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
db_url="${admin_url%/*}/$db?sslmode=disable"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ports=("$(free_port)" "$(free_port)" "$(free_port)")
proxy_port="$(free_port)"
export HERALD_DATABASE_URL="$db_url" HERALD_REDIS_URL="$redis_url" HERALD_CACHE_NAMESPACE="fleet$$" \
    HERALD_JWT_SECRET="fleet-check-secret-$$-0123456789abcdef0123456789" HERALD_LOG=warn HERALD_LOG_FORMAT=json \
    HERALD_RATE_LIMIT_READ_PER_MINUTE=10000000 HERALD_RATE_LIMIT_WRITE_PER_MINUTE=10000000 \
    HERALD_RATE_LIMIT_AUTH_PER_MINUTE=100000 HERALD_SHUTDOWN_GRACE_SECS=10 \
    HERALD_ARGON2_MEMORY_KIB=1024 HERALD_ARGON2_ITERATIONS=1
pids=("" "" "")
start() { # index
    HERALD_LISTEN="127.0.0.1:${ports[$1]}" "$herald" serve >>"$work/herald-$1.log" 2>&1 &
    pids[$1]=$!
    for _ in $(seq 1 150); do
        curl -fsS "http://127.0.0.1:${ports[$1]}/health/ready" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "instance $1 did not become ready" >&2; cat "$work/herald-$1.log" >&2; return 1
}
cleanup() {
    for pid in "${pids[@]}"; do [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true; done
    [[ -f "$work/nginx.pid" ]] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$herald" migrate >/dev/null
for i in 0 1 2; do start "$i"; done
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    upstream herald {
        server 127.0.0.1:${ports[0]} max_fails=0;
        server 127.0.0.1:${ports[1]} max_fails=0;
        server 127.0.0.1:${ports[2]} max_fails=0;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$proxy_port;
        location / {
            proxy_pass http://herald;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # An instance that is restarting refuses connections: try the next.
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
        }
    }
}
NGINX
nginx -c "$work/nginx.conf"
echo "==> fleet: instances on ${ports[*]}, nginx on $proxy_port, $seconds s of load with rolling restarts"

printf 'a fleet admin passphrase\n' | "$herald" admin create-user --email root@fleet.test --username root --role admin >/dev/null
python3 scripts/fleet_load.py --proxy "http://127.0.0.1:$proxy_port" --seconds "$seconds" \
    --instances "http://127.0.0.1:${ports[0]},http://127.0.0.1:${ports[1]},http://127.0.0.1:${ports[2]}" \
    --report "$work/report.json" &
load=$!
sleep 5
deadline=$((SECONDS + seconds - 10))
while ((SECONDS < deadline)); do
    for i in 0 1 2; do
        ((SECONDS >= deadline)) && break
        kill -TERM "${pids[$i]}"; wait "${pids[$i]}" 2>/dev/null || true
        start "$i"
        echo "    restarted instance $i"
        sleep 3
    done
done
wait "$load"
