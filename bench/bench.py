#!/usr/bin/env python3
"""Herald's load suite: seeds data through the RealWorld API, drives it with
wrk, and reports throughput, latency percentiles, errors and the server's
peak memory as JSON and a Markdown table.

    bench/run.sh                          # Herald (release build) on a fresh SQLite
    bench/run.sh --backend postgres       # ... on a fresh PostgreSQL database
    bench/run.sh --url http://host:port   # any RealWorld server (its /api)
    bench/run.sh --compare-nginx          # + nginx serving Herald's own bytes, A/B/A/B

Every loop is bounded by --duration; traffic only goes to the given URL
(loopback by default).
"""
import argparse
import json
import os
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "lua"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Token " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None, raw


def wait_ready(base, seconds=60, process=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"error: the server exited with status {process.returncode}")
        try:
            call(base, "GET", "/api/tags")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    sys.exit(f"error: {base} did not answer within {seconds}s")


def serving_env(port, log="warn"):
    """Settings for a benchmarked server on `port`."""
    return {
        "HERALD_LISTEN": f"127.0.0.1:{port}",
        "HERALD_LOG": log,
        "HERALD_LOG_FORMAT": "json",
        # The suite measures serving, not the limiter: one client IP sends everything.
        "HERALD_RATE_LIMIT_READ_PER_MINUTE": "100000000",
        "HERALD_RATE_LIMIT_WRITE_PER_MINUTE": "10000000",
        "HERALD_RATE_LIMIT_AUTH_PER_MINUTE": "100000",
        "HERALD_RATE_LIMIT_ENGAGEMENT_PER_MINUTE": "100000000",
        "HERALD_MAX_IN_FLIGHT": "4096",
        # ... nor the per-address connection cap (256): the ramp opens 1,024 from one address.
        "HERALD_MAX_CONNECTIONS_PER_IP": "100000",
    }


class Herald:
    """A release-build Herald on a free port with a fresh database."""

    def __init__(self, backend):
        self.workdir = Path(tempfile.mkdtemp(prefix="herald-bench-"))
        self.port = free_port()
        self.pg_db = None
        env = dict(os.environ)
        if backend == "postgres":
            admin = os.environ.get("HERALD_BENCH_POSTGRES_URL") or os.environ.get("HERALD_TEST_POSTGRES_URL")
            if not admin:
                sys.exit("error: set HERALD_BENCH_POSTGRES_URL (an admin URL) for --backend postgres")
            self.admin = admin
            self.pg_db = f"herald_bench_{int(time.time())}_{os.getpid()}"
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {self.pg_db}"], check=True)
            scheme, rest = admin.split("://", 1)
            authority = rest.split("/", 1)[0]
            env["HERALD_DATABASE_URL"] = f"{scheme}://{authority}/{self.pg_db}"
        else:
            env["HERALD_DATABASE_URL"] = f"sqlite:{self.workdir}/herald.db"
        env.update(serving_env(self.port))
        # HERALD_BENCH_BINARY runs another build (bench/flame.py's before and after).
        binary = Path(os.environ.get("HERALD_BENCH_BINARY", ROOT / "target" / "release" / "herald"))
        self.log = open(self.workdir / "herald.log", "w")
        self.proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            wait_ready(self.base, process=self.proc)
        except SystemExit:
            self.log.flush()
            print((self.workdir / "herald.log").read_text(), file=sys.stderr)
            raise

    def peak_rss_mb(self):
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def rss_mb(self):
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.pg_db:
            subprocess.run(["psql", self.admin, "-qc", f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)"])
        shutil.rmtree(self.workdir, ignore_errors=True)


class Nginx:
    """nginx serving the exact bytes Herald answered: the ceiling on this machine."""

    def __init__(self, files):
        self.workdir = Path(tempfile.mkdtemp(prefix="nginx-bench-"))
        # nginx's workers run unprivileged: they must be able to read the files.
        self.workdir.chmod(0o755)
        self.port = free_port()
        locations = []
        for i, (path, body) in enumerate(files.items()):
            name = f"r{i}.json"
            (self.workdir / name).write_bytes(body)
            (self.workdir / name).chmod(0o644)
            locations.append(
                f"location = {path} {{ default_type application/json; alias {self.workdir}/{name}; }}")
        conf = self.workdir / "nginx.conf"
        conf.write_text(f"""
worker_processes auto;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{self.port};
        {' '.join(locations)}
    }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"])
        self.base = f"http://127.0.0.1:{self.port}"
        time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def seed(base, articles):
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
    user = f"bench{suffix}"
    password = f"bench-password-{suffix}"
    body, _ = call(base, "POST", "/api/users", {"user": {"username": user, "email": f"{user}@example.com", "password": password}})
    token = body["user"]["token"]
    tags = ["rust", "web", "news", "dragons", "training", "bench", "herald", "performance"]
    slugs = []
    lock = threading.Lock()

    def worker(indices):
        for i in indices:
            article = {"article": {
                "title": f"Benchmark article {i} {suffix}",
                "description": "An article seeded by the benchmark suite.",
                "body": ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12).strip(),
                "tagList": random.sample(tags, 2),
            }}
            created, _ = call(base, "POST", "/api/articles", article, token)
            with lock:
                slugs.append(created["article"]["slug"])

    chunks = [range(i, articles, 8) for i in range(8)]
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return user, token, slugs


def wrk(base, script, duration, connections, env_extra):
    env = dict(os.environ)
    env["BENCH_LUA_DIR"] = str(LUA)
    env.update(env_extra)
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--timeout", "5s", "-s", str(LUA / script), base]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
            result["errors"] = result["non2xx"] + result["socket_errors"]
            return result
    sys.exit(f"error: wrk produced no result:\n{out.stdout}\n{out.stderr}")


def metric_sum(base, name, label=""):
    """The sum of a Prometheus counter's series (those whose labels contain `label`)."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as resp:
        text = resp.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {") and label in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def engagement(base, slug, duration, connections, env):
    """Views ingested through the HTTP endpoint, with the write transactions
    they cost (every write transaction waits for the writer once:
    herald_db_pool_wait_seconds_count{pool="write"})."""
    _, raw = call(base, "GET", f"/api/v1/posts/by-slug/{slug}")
    post = json.loads(raw)["id"]
    events = lambda: metric_sum(base, "herald_engagement_events_total") + metric_sum(base, "herald_engagement_dropped_total")
    tx = lambda: metric_sum(base, "herald_db_pool_wait_seconds_count", 'pool="write"')
    before_events, before_tx = events(), tx()
    result = wrk(base, "engage.lua", duration, connections, {**env, "BENCH_PATH": f"/api/v1/posts/{post}/engagement"})
    time.sleep(2.5)  # the last flush
    ingested, transactions = events() - before_events, tx() - before_tx
    result["events"] = ingested
    result["transactions"] = transactions
    print(f"  engagement: {ingested:.0f} events ingested, {transactions:.0f} write transactions "
          f"({100 * transactions / max(ingested, 1):.3f} per 100 events)", flush=True)
    return result


def markdown(rows):
    lines = ["| scenario | target | conns | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rss = f"{r['peak_rss_mb']:.1f}" if r.get("peak_rss_mb") else "–"
        lines.append(f"| {r['scenario']} | {r['target']} | {r['connections']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} | {rss} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="base URL of a running RealWorld server (default: start Herald)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--scenarios", default="list,article,tags,article-read,engagement,analyze,create,read-heavy,write-heavy,mixed,stress")
    parser.add_argument("--compare-nginx", action="store_true")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds in comparison mode")
    parser.add_argument("--out", default=str(HERE / "out"))
    args = parser.parse_args()

    herald = None if args.url else Herald(args.backend)
    base = args.url.rstrip("/") if args.url else herald.base
    target = "herald" if herald else base
    try:
        print(f"seeding {args.articles} articles through {base}/api ...", flush=True)
        user, token, slugs = seed(base, args.articles)
        slug_file = Path(tempfile.mkstemp(prefix="slugs-")[1])
        slug_file.write_text("\n".join(slugs) + "\n")
        common = {"BENCH_TOKEN": token, "BENCH_USER": user, "BENCH_SLUGS": str(slug_file)}
        singles = {
            "list": "/api/articles?limit=20",
            "article": f"/api/articles/{slugs[0]}",
            "tags": "/api/tags",
        }
        # The article read as browsers read it: every request a counted
        # (or de-duplicated) view.
        readers = {"article-read": f"/api/articles/{slugs[0]}"}
        print("warm-up ...", flush=True)
        wrk(base, "get.lua", "3s", args.connections, {**common, "BENCH_PATH": singles["list"]})

        rows = []
        wanted = args.scenarios.split(",")

        def record(scenario, tgt, result, conns):
            result.update({"scenario": scenario, "target": tgt, "connections": conns})
            if herald and tgt == "herald":
                result["peak_rss_mb"] = herald.peak_rss_mb()
            rows.append(result)
            print(f"  {scenario:12} {tgt:8} {result['rps']:9.0f} req/s  p99 {result['p99_ms']:.2f} ms  errors {result['errors']}", flush=True)

        nginx = None
        if args.compare_nginx:
            files = {}
            for name, path in singles.items():
                _, raw = call(base, "GET", path)
                files[path.split("?")[0]] = raw
            nginx = Nginx(files)
        try:
            for name, path in singles.items():
                if name not in wanted:
                    continue
                env = {**common, "BENCH_PATH": path}
                for _ in range(args.rounds if nginx else 1):
                    record(f"GET {name}", target, wrk(base, "get.lua", args.duration, args.connections, env), args.connections)
                    if nginx:
                        record(f"GET {name}", "nginx", wrk(nginx.base, "get.lua", args.duration, args.connections, env), args.connections)
        finally:
            if nginx:
                nginx.stop()
        for name, path in readers.items():
            if name in wanted:
                env = {**common, "BENCH_PATH": path}
                record(f"GET {name}", target, wrk(base, "get_reader.lua", args.duration, args.connections, env), args.connections)
        if "engagement" in wanted:
            record("POST engagement", target, engagement(base, slugs[0], args.duration, args.connections, common), args.connections)
        if "analyze" in wanted:
            # Text analysis of the 1 KB post (bench/text/post-1k.md) for three platforms.
            record("POST analyze", target, wrk(base, "analyze.lua", args.duration, args.connections, common), args.connections)
        if "create" in wanted:
            record("POST create", target, wrk(base, "create.lua", args.duration, args.connections, common), args.connections)
            _, raw = call(base, "GET", "/api/articles?limit=1")
            total = json.loads(raw)["articlesCount"]
            print(f"  articles readable after the create run: {total}", flush=True)
        for mix in ["read-heavy", "write-heavy", "mixed"]:
            if mix in wanted:
                record(mix, target, wrk(base, "mix.lua", args.duration, args.connections, {**common, "BENCH_MIX": mix}), args.connections)
        if "stress" in wanted:
            for conns in [16, 64, 128, 256, 512, 1024]:
                result = wrk(base, "mix.lua", args.duration, conns, {**common, "BENCH_MIX": "read-heavy"})
                record("stress ramp", target, result, conns)
                if result["errors"] > 0 or result["p99_ms"] > 500:
                    print("  stress: errors or latency collapse, stopping the ramp", flush=True)
                    break

        ratios = []
        if args.compare_nginx:
            for name in singles:
                ours = [r["rps"] for r in rows if r["scenario"] == f"GET {name}" and r["target"] == target]
                theirs = [r["rps"] for r in rows if r["scenario"] == f"GET {name}" and r["target"] == "nginx"]
                if ours and theirs:
                    ratio = (sum(ours) / len(ours)) / (sum(theirs) / len(theirs))
                    ratios.append({"endpoint": name, "ratio": ratio})
                    print(f"  ratio {name}: {target} / nginx = {ratio:.2f}", flush=True)

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        report = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "cores": os.cpu_count(),
            "loadavg": os.getloadavg(),
            "backend": args.backend if herald else None,
            "url": base,
            "duration": args.duration,
            "articles": args.articles,
            "rows": rows,
            "ratios": ratios,
        }
        (out / "results.json").write_text(json.dumps(report, indent=2))
        md = markdown(rows)
        if ratios:
            md += "\n\n" + "\n".join(f"- {r['endpoint']}: Herald / nginx = {r['ratio']:.2f}" for r in ratios)
        (out / "results.md").write_text(md + "\n")
        print("\n" + md)
        print(f"\nwritten: {out}/results.json, {out}/results.md")
    finally:
        if herald:
            herald.stop()


if __name__ == "__main__":
    main()
