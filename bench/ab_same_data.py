#!/usr/bin/env python3
"""Two builds serving the same data at once, measured in turns.

On a shared 2-core machine throughput drifts by a third within minutes, so two
builds measured one after the other differ by the drift as much as by the
change. Here both servers run side by side (uncached, on one database file or
on two copies of it) and wrk alternates between them per endpoint: old, new,
new, old, old, new, ... after a warm-up of each.

    python3 bench/ab_same_data.py --old BIN --new BIN --database-url sqlite:/path/big.db \
        [--new-database-url sqlite:/path/copy.db] [--rounds 3] [--duration 4s] PATH [PATH ...]

PATHs are GET paths (anonymous), e.g. '/api/articles?limit=20'.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale  # noqa: E402  (the scale suite's server and wrk helpers)


def start(binary, database_url):
    os.environ["HERALD_BENCH_BINARY"] = binary
    return scale.Server(database_url, cache=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", required=True, help="the build to compare against")
    parser.add_argument("--new", required=True, help="the build with the change")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--new-database-url", help="the new build's copy (default: the same database)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="4s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()

    servers = {
        "old": start(args.old, args.database_url),
        "new": start(args.new, args.new_database_url or args.database_url),
    }
    try:
        for path in args.paths:
            for server in servers.values():
                scale.warm_up(server.base, path, None, False, args)
            for round_no in range(args.rounds):
                for label in ("old", "new") if round_no % 2 == 0 else ("new", "old"):
                    r = scale.measure(servers[label].base, path, None, False, args)
                    print(f"{path:50} {label}  {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f}  "
                          f"p99 {r['p99_ms']:6.1f} ms  errors {r['errors']}", flush=True)
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
