#!/usr/bin/env python3
"""Flame graphs (perf + inferno) of Herald under load: a cached read (the
RealWorld list) and an authenticated create with the 1 KB Markdown body.

    python3 bench/flame.py --label after                  # target/release/herald
    HERALD_BENCH_BINARY=/tmp/old/herald python3 bench/flame.py --label before

Each run starts the build on a fresh SQLite database, seeds it as bench.py
does, puts wrk (-t2 -c64) on it and samples the server with `perf record
--call-graph dwarf` for a few seconds in the middle of the load, then folds
the stacks with inferno into bench/flamegraphs/<scenario>-<label>.svg.
Installs wrk (Debian) and inferno (`cargo install`, into .tools) when
missing. perf must be allowed to sample (root, or perf_event_paranoid <= 1).
"""
import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parent / ".tools"


def inferno():
    """Paths of inferno-collapse-perf and inferno-flamegraph, installed if needed."""
    found = [shutil.which("inferno-collapse-perf"), shutil.which("inferno-flamegraph")]
    if all(found):
        return found
    local = [TOOLS / "bin" / "inferno-collapse-perf", TOOLS / "bin" / "inferno-flamegraph"]
    if not all(p.exists() for p in local):
        subprocess.run(["cargo", "install", "--locked", "--root", str(TOOLS), "inferno"], check=True)
    return [str(p) for p in local]


def profile(herald, name, script, env, seconds, frequency, out):
    """wrk on `script` for longer than `seconds`; perf samples the middle."""
    result = {}
    load = threading.Thread(
        target=lambda: result.update(bench.wrk(herald.base, script, f"{seconds + 4}s", 64, env)))
    load.start()
    time.sleep(2)
    data = out / f"{name}.perf.data"
    subprocess.run(["perf", "record", "-q", "-F", str(frequency), "--call-graph", "dwarf,16384",
                    "-p", str(herald.proc.pid), "-o", str(data), "--", "sleep", str(seconds)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load.join()
    return data, result


def render(data, title, svg):
    collapse, flamegraph = inferno()
    script = subprocess.run(["perf", "script", "-i", str(data)], check=True, capture_output=True)
    folded = subprocess.run([collapse], input=script.stdout, check=True, capture_output=True)
    graph = subprocess.run([flamegraph, "--title", title, "--width", "1600"], input=folded.stdout,
                           check=True, capture_output=True)
    svg.write_bytes(graph.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", required=True, help="suffix of the SVG names, e.g. before / after")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--frequency", type=int, default=499)
    parser.add_argument("--out", default=str(HERE / "flamegraphs"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    inferno()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    herald = bench.Herald("sqlite")
    try:
        user, token, slugs = bench.seed(herald.base, 200)
        env = {"BENCH_TOKEN": token, "BENCH_USER": user}
        bench.wrk(herald.base, "get.lua", "3s", 64, {**env, "BENCH_PATH": "/api/articles?limit=20"})
        scenarios = [
            ("cached-list", "get.lua", {**env, "BENCH_PATH": "/api/articles?limit=20"}),
            ("create", "create.lua", env),
        ]
        for name, script, extra in scenarios:
            data, result = profile(herald, name, script, extra, args.seconds, args.frequency, out)
            title = f"{name}, {args.label}: {result.get('rps', 0):.0f} req/s under load"
            render(data, title, out / f"{name}-{args.label}.svg")
            data.unlink()
            print(f"{name} ({args.label}): {result.get('rps', 0):.0f} req/s, p99 {result.get('p99_ms', 0):.2f} ms "
                  f"-> {out / f'{name}-{args.label}.svg'}", flush=True)
    finally:
        herald.stop()


if __name__ == "__main__":
    main()
