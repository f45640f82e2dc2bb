#!/usr/bin/env bash
# One command for the load suite: installs wrk (and nginx for --compare-nginx)
# from Debian's packages if missing, builds Herald in release mode unless a
# --url is given, then runs bench/bench.py with the arguments given here.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wrk >/dev/null || need+=(wrk)
if [[ " $* " == *" --compare-nginx "* ]] && ! command -v nginx >/dev/null; then need+=(nginx-light); fi
if ((${#need[@]})); then
    echo "==> installing ${need[*]}"
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [[ " $* " != *" --url "* ]]; then
    echo "==> building herald (release)"
    cargo build --release --quiet --bin herald
fi
exec python3 bench/bench.py "$@"
