# Shared by the scripts that run Herald for an outside tool (newman,
# schemathesis, Chromium): build it, give it a fresh database, pick a free
# port, start it, wait until it is ready, stop it. Source it; configure Herald with exported HERALD_*
# variables (HERALD_LISTEN included) before `start_herald`.

# The debug binary, built now; its path in $herald.
build_herald() {
    echo "==> building herald"
    cargo build --quiet --bin herald
    herald=target/debug/herald
}

# A local port nothing listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_herald LOG: `$herald serve` in the background (pid in $herald_pid),
# then waits for /health/ready on $HERALD_LISTEN; if Herald exits first, its
# log is printed and the call fails.
start_herald() {
    "$herald" serve >"$1" 2>&1 &
    herald_pid=$!
    local ready="http://$HERALD_LISTEN/health/ready"
    for _ in $(seq 1 100); do
        if curl -fsS "$ready" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$herald_pid" 2>/dev/null; then cat "$1" >&2; return 1; fi
        sleep 0.2
    done
    curl -fsS "$ready" >/dev/null
}

# Stops the Herald `start_herald` started, if it still runs (SIGTERM, then waits).
stop_herald() {
    if [[ -n "${herald_pid:-}" ]] && kill -0 "$herald_pid" 2>/dev/null; then
        kill -TERM "$herald_pid" 2>/dev/null || true
        wait "$herald_pid" 2>/dev/null || true
    fi
}

# fresh_database BACKEND DIR NAME: a database of its own for one run, in
# $database_url: a SQLite file in DIR, or a new PostgreSQL database named
# NAME_<time>_<pid>, made from the admin URL in HERALD_TEST_POSTGRES_URL (its
# name also in $pg_db, for drop_database). Callers check BACKEND first.
fresh_database() {
    local backend=$1 dir=$2 name=$3
    pg_db=""
    case "$backend" in
        sqlite) database_url="sqlite:$dir/herald.db" ;;
        postgres)
            : "${HERALD_TEST_POSTGRES_URL:?set HERALD_TEST_POSTGRES_URL to an admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres}"
            pg_db="${name}_$(date +%s)_$$"
            psql "$HERALD_TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
            database_url="$(python3 - "$HERALD_TEST_POSTGRES_URL" "$pg_db" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(url._replace(path="/" + sys.argv[2])))
PY
)"
            ;;
    esac
}

# Drops the PostgreSQL database fresh_database made, if it made one.
drop_database() {
    if [[ -n "${pg_db:-}" ]]; then
        psql "$HERALD_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
    fi
}
