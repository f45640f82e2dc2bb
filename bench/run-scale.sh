#!/usr/bin/env bash
# The scale scenario (bench/scale.py): installs wrk if missing, builds Herald
# in release mode, then measures every read endpoint against a database
# seeded with `herald seed` (see bench/scale.py for the steps).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --bin herald
exec python3 bench/scale.py "$@"
