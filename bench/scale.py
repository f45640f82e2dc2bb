#!/usr/bin/env python3
"""The scale scenario: every read endpoint of both surfaces against a large
database seeded with `herald seed`, uncached (response cache off) and cached
while writes arrive, with the server's peak memory and its start-up time.

    # once per database (about 7 minutes on SQLite, longer on PostgreSQL):
    HERALD_DATABASE_URL=sqlite:/tmp/scale.db target/release/herald seed
    # then:
    bench/run-scale.sh --database-url sqlite:/tmp/scale.db
    bench/run-scale.sh --database-url postgres://postgres@127.0.0.1/herald_scale --explain

The database is left as it is (apart from the posts, likes and comments the
write phase adds). `--explain` also records the query plan of every
statement the endpoints ran (EXPLAIN QUERY PLAN on SQLite; on PostgreSQL
EXPLAIN ANALYZE through auto_explain, read from the server's log).
"""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, Herald, call, free_port, serving_env, wrk  # noqa: E402

PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")


class Server:
    """A release-build Herald on an existing database."""

    def __init__(self, database_url, cache, log_sql=False):
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="herald-scale-"))
        env = dict(os.environ)
        env.update(serving_env(self.port, "warn,sqlx::query=debug" if log_sql else "warn"))
        env["HERALD_DATABASE_URL"] = database_url
        if not cache:
            env["HERALD_CACHE_MAX_BYTES"] = "0"
        self.log_path = self.workdir / "herald.log"
        self.log = open(self.log_path, "w")
        # HERALD_BENCH_BINARY runs another build (an A/B on the same data).
        binary = Path(os.environ.get("HERALD_BENCH_BINARY", ROOT / "target" / "release" / "herald"))
        started = time.monotonic()
        self.proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        self.startup_ms = self._wait_ready(started)

    def _wait_ready(self, started):
        deadline = started + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"error: herald exited:\n{self.log_path.read_text()}")
            try:
                call(self.base, "GET", "/health/ready")
                return (time.monotonic() - started) * 1000
            except OSError:
                time.sleep(0.005)
        sys.exit("error: herald did not become ready")

    # The same reading as the load suite's.
    peak_rss_mb = Herald.peak_rss_mb

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def probes(base):
    """The endpoints to measure, with values discovered from the data."""
    body, _ = call(base, "POST", "/api/users/login",
                   {"user": {"email": "bench@bench.invalid", "password": "benchpassword"}})
    token = body["user"]["token"]
    latest, _ = call(base, "GET", "/api/articles?limit=1")
    slug = latest["articles"][0]["slug"]
    popular, _ = call(base, "GET", "/api/v1/posts/1")
    # Page 500 of the v1 listing, reached by following cursors.
    cursor = None
    for _ in range(499):
        page, _ = call(base, "GET", "/api/v1/posts?limit=20" + (f"&cursor={cursor}" if cursor else ""))
        cursor = page["next_cursor"]
    endpoints = [
        ("list (RealWorld)", "/api/articles?limit=20", False),
        ("list offset=10000", "/api/articles?limit=20&offset=10000", False),
        ("list (v1) first page", "/api/v1/posts?limit=20", False),
        ("list (v1) page 500 by cursor", f"/api/v1/posts?limit=20&cursor={cursor}", False),
        ("tag=tag7", "/api/articles?tag=tag7&limit=20", False),
        ("tag=tag150 (rare)", "/api/articles?tag=tag150&limit=20", False),
        ("author=user7", "/api/articles?author=user7&limit=20", False),
        ("category (v1)", "/api/v1/posts?category=category-3&limit=20&include_total=true", False),
        ("favorited=user42", "/api/articles?favorited=user42&limit=20", False),
        ("feed (follows 200)", "/api/articles/feed?limit=20", True),
        ("search common word", "/api/v1/posts?q=the&limit=20", False),
        ("search rare word", "/api/v1/posts?q=zqx7&limit=20", False),
        ("tags", "/api/tags", False),
        ("profile", "/api/profiles/user7", False),
        ("article", f"/api/articles/{slug}", False),
        ("article comments", f"/api/articles/{slug}/comments", False),
        ("most-commented article's comments (capped at 300)",
         f"/api/articles/{popular['slug']}/comments", False),
    ]
    return token, slug, endpoints


class Writer(threading.Thread):
    """Background writes at a fixed rate: creates, likes and comments."""

    def __init__(self, base, token, slug, per_second):
        super().__init__(daemon=True)
        self.base, self.token, self.slug, self.interval = base, token, slug, 1.0 / per_second
        self.stop_flag = threading.Event()
        self.done = 0
        self.failed = 0

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            started = time.monotonic()
            n += 1
            try:
                if n % 4 in (0, 1):
                    article = {"article": {"title": f"Write {time.time_ns()}", "description": "d",
                                           "body": "A post written while readers read. " * 20, "tagList": ["tag7"]}}
                    call(self.base, "POST", "/api/articles", article, self.token)
                elif n % 4 == 2:
                    call(self.base, "POST", f"/api/articles/{self.slug}/favorite", None, self.token)
                    call(self.base, "DELETE", f"/api/articles/{self.slug}/favorite", None, self.token)
                else:
                    call(self.base, "POST", f"/api/articles/{self.slug}/comments",
                         {"comment": {"body": "Reading along"}}, self.token)
                self.done += 1
            except OSError:
                self.failed += 1
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))


def warm_up(base, path, token, auth, args):
    """Two seconds of the same load first, so the measured run starts warm."""
    measure(base, path, token, auth, argparse.Namespace(duration="2s", connections=args.connections))


def measure(base, path, token, auth, args):
    env = {"BENCH_PATH": path}
    script = "get.lua"
    if auth:
        env["BENCH_TOKEN"] = token
        script = "get_auth.lua"
    return wrk(base, script, args.duration, args.connections, env)


def explain_sqlite(db_path, statements):
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    out = []
    for sql in statements:
        try:
            # The plan does not depend on the values: bind NULL to every `$n`.
            names = {m for m in re.findall(r"\$(\d+)", sql)}
            rows = con.execute("EXPLAIN QUERY PLAN " + sql, {n: None for n in names}).fetchall()
            plan = "\n".join(f"{'  ' * (0 if parent == 0 else 1)}{detail}" for _, parent, _, detail in rows)
        except sqlite3.Error as err:
            plan = f"(not explainable here: {err})"
        out.append((sql, plan))
    return out


def statements_from_log(path):
    seen, ordered = set(), []
    for line in Path(path).read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        sql = record.get("fields", {}).get("db.statement", "").strip()
        if sql and sql not in seen and not sql.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT")):
            seen.add(sql)
            ordered.append(sql)
    return ordered


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--writes-per-second", type=float, default=10)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--uncached-only", action="store_true", help="skip the cached runs with writes")
    parser.add_argument("--cached-only", action="store_true", help="only the cached runs with writes")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = parser.parse_args()
    sqlite_path = args.database_url[len("sqlite:"):] if args.database_url.startswith("sqlite:") else None
    report = {"database": "sqlite" if sqlite_path else "postgres", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}

    # Start-up: the median of three cold starts of the server to readiness.
    starts = []
    for _ in range(3):
        server = Server(args.database_url, cache=True)
        starts.append(server.startup_ms)
        server.stop()
    report["startup_ms"] = sorted(starts)[1]
    print(f"ready after {report['startup_ms']:.0f} ms (median of {', '.join(f'{s:.0f}' for s in starts)})", flush=True)

    server = Server(args.database_url, cache=False)
    try:
        token, slug, endpoints = probes(server.base)
        uncached = []
        for name, path, auth in [] if args.cached_only else endpoints:
            warm_up(server.base, path, token, auth, args)
            result = measure(server.base, path, token, auth, args)
            result["endpoint"] = name
            uncached.append(result)
            print(f"  uncached {name:52} {result['rps']:8.0f} req/s  p99 {result['p99_ms']:8.2f} ms  "
                  f"errors {result['errors']}", flush=True)
        report["uncached"] = uncached
        report["uncached_peak_rss_mb"] = server.peak_rss_mb()
    finally:
        server.stop()

    report["cached"], report["cached_peak_rss_mb"] = [], None
    if not args.uncached_only:
        server = Server(args.database_url, cache=True)
        try:
            cached = []
            for name, path, auth in [e for e in endpoints if e[0] in ("list (RealWorld)", "article", "tags")]:
                warm_up(server.base, path, token, auth, args)
                quiet = measure(server.base, path, token, auth, args)
                writer = Writer(server.base, token, slug, args.writes_per_second)
                writer.start()
                busy = measure(server.base, path, token, auth, args)
                writer.stop_flag.set()
                writer.join()
                cached.append({"endpoint": name, "quiet": quiet, "writes": busy, "writes_done": writer.done,
                               "writes_failed": writer.failed, "ratio": busy["rps"] / quiet["rps"]})
                print(f"  cached {name:20} {quiet['rps']:8.0f} req/s quiet, {busy['rps']:8.0f} with "
                      f"{writer.done} writes ({busy['rps'] / quiet['rps']:.0%})", flush=True)
            report["cached"] = cached
            report["cached_peak_rss_mb"] = server.peak_rss_mb()
        finally:
            server.stop()

    if args.explain:
        report["plans"] = explain(args, endpoints, token)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"scale-{report['database']}"
    (out / f"{name}.json").write_text(json.dumps(report, indent=2))
    (out / f"{name}.md").write_text(render(report, args))
    print(render(report, args))


def visit_once(args, endpoints, token, log_sql=False):
    """Starts an uncached server, reads every endpoint once, stops it; returns it (for its log)."""
    server = Server(args.database_url, cache=False, log_sql=log_sql)
    try:
        for _, path, auth in endpoints:
            call(server.base, "GET", path, None, token if auth else None)
    finally:
        server.stop()
    return server


def explain(args, endpoints, token):
    if args.database_url.startswith("sqlite:"):
        server = visit_once(args, endpoints, token, log_sql=True)
        plans = explain_sqlite(args.database_url[len("sqlite:"):], statements_from_log(server.log_path))
        return [{"sql": sql, "plan": plan} for sql, plan in plans]
    database = urllib.parse.urlparse(args.database_url).path.lstrip("/")
    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    settings = ["session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
                "auto_explain.log_analyze = on", "auto_explain.log_nested_statements = on"]
    for setting in settings:
        subprocess.run(["psql", admin, "-qc", f"ALTER DATABASE {database} SET {setting}"], check=True)
    offset = PG_LOG.stat().st_size
    try:
        visit_once(args, endpoints, token)
    finally:
        for setting in settings:
            subprocess.run(["psql", admin, "-qc", f"ALTER DATABASE {database} RESET {setting.split(' = ')[0]}"],
                           check=True)
    with open(PG_LOG) as log:
        log.seek(offset)
        text = log.read()
    plans = []
    for block in re.split(r"\n(?=\S.*LOG:  duration: )", text):
        match = re.search(r"duration: ([\d.]+) ms  plan:\n\s*Query Text: (.*?)\n(\s+\S.*)", block, re.S)
        if match:
            plans.append({"ms": float(match.group(1)), "sql": match.group(2).strip(), "plan": match.group(3)})
    return plans


def render(report, args):
    lines = [f"### {report['database']}: uncached (cache off), {args.connections} connections, {args.duration} each", "",
             "| endpoint | req/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|"]
    for r in report["uncached"]:
        lines.append(f"| {r['endpoint']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |")
    lines += ["", f"Peak RSS, uncached run: {report['uncached_peak_rss_mb']:.1f} MB. "
              f"Ready after {report['startup_ms']:.0f} ms (median of three starts)."]
    if report["cached"]:
        lines += ["", f"### {report['database']}: cached, quiet vs {args.writes_per_second:g} writes/s", "",
                  "| endpoint | quiet req/s | with writes req/s | kept | writes done |", "|---|---:|---:|---:|---:|"]
        for r in report["cached"]:
            lines.append(f"| {r['endpoint']} | {r['quiet']['rps']:.0f} | {r['writes']['rps']:.0f} | "
                         f"{r['ratio']:.0%} | {r['writes_done']} |")
        lines += ["", f"Peak RSS, cached run: {report['cached_peak_rss_mb']:.1f} MB."]
    if report.get("plans"):
        lines += ["", "<details><summary>query plans</summary>", ""]
        for p in report["plans"]:
            lines += ["```", p["sql"][:600], "--", p["plan"], "```"]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
