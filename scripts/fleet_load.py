#!/usr/bin/env python3
"""The fleet check's workload and verdict (driven by scripts/fleet.sh): reads,
creates and scheduled posts through the proxy while instances restart; then
every check the issue names, through Herald's own admin API."""
import argparse
import datetime as dt
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request

PASSWORD = "a fleet admin passphrase"


def call(base, method, path, body=None, token=None, scheme="Bearer"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"{scheme} {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)


class Load:
    def __init__(self, proxy, seconds):
        self.proxy, self.seconds = proxy, seconds
        self.stop_at = time.time() + seconds
        self.lock = threading.Lock()
        self.requests = 0
        self.failures = []
        self.scheduled = {}  # post id -> publish_at
        self.slugs = []

    def request(self, method, path, body=None, token=None, scheme="Bearer"):
        try:
            status, data = call(self.proxy, method, path, body, token, scheme)
        except urllib.error.HTTPError as err:
            status, data = err.code, err.read()[:200]
        except Exception as err:  # connection errors count as failures too
            status, data = None, repr(err)
        with self.lock:
            self.requests += 1
            if status is None or status >= 400:
                self.failures.append(f"{method} {path}: {status} {data!r}"[:300])
        return status, data

    def reader(self):
        while time.time() < self.stop_at:
            self.request("GET", "/api/articles?limit=20")
            self.request("GET", "/api/tags")
            slug = random.choice(self.slugs) if self.slugs else None
            if slug:
                self.request("GET", f"/api/articles/{slug}")

    def writer(self, token):
        n = 0
        while time.time() < self.stop_at:
            n += 1
            body = {"article": {"title": f"Fleet {threading.get_ident()} {n}", "description": "d",
                                "body": "word " * 200, "tagList": ["fleet"]}}
            status, data = self.request("POST", "/api/articles", body, token, "Token")
            if status == 201:
                with self.lock:
                    self.slugs.append(data["article"]["slug"])
            time.sleep(0.05)

    def scheduler(self, token):
        latest = self.stop_at - 8
        while time.time() < self.stop_at - 10:
            status, post = self.request("POST", "/api/v1/posts", {"title": "Scheduled", "body": "Later"}, token)
            if status == 201:
                at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=random.uniform(2, max(3, latest - time.time())))
                status, _ = self.request("POST", f"/api/v1/posts/{post['id']}/schedule",
                                         {"publish_at": at.isoformat()}, token)
                if status == 200:
                    with self.lock:
                        self.scheduled[post["id"]] = at
            time.sleep(0.5)


def pages(base, path, token):
    cursor = None
    while True:
        sep = "&" if "?" in path else "?"
        url = path + (f"{sep}cursor={cursor}" if cursor else "")
        _, page = call(base, "GET", url, token=token)
        yield from page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--instances", required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--report", required=True)
    args = parser.parse_args()
    instances = args.instances.split(",")

    _, login = call(args.proxy, "POST", "/api/v1/auth/login", {"login": "root", "password": PASSWORD})
    admin = login["access_token"]
    writers = []
    for i in range(3):
        name = f"writer{i}{random.randint(0, 10**6)}"
        _, user = call(args.proxy, "POST", "/api/users",
                       {"user": {"username": name, "email": f"{name}@fleet.test", "password": PASSWORD}})
        writers.append(user["user"]["token"])

    load = Load(args.proxy, args.seconds)
    threads = [threading.Thread(target=load.reader) for _ in range(4)]
    threads += [threading.Thread(target=load.writer, args=(t,)) for t in writers[:2]]
    threads.append(threading.Thread(target=load.scheduler, args=(writers[2],)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Every scheduled post falls due before the run ends; give the queue a moment.
    time.sleep(5)
    checks = {}
    checks["no failed request"] = not load.failures
    published_once = []
    for post_id in load.scheduled:
        _, post = call(args.proxy, "GET", f"/api/v1/posts/{post_id}", token=admin)
        events = list(pages(args.proxy, f"/api/v1/posts/{post_id}/events?type=post.published", admin))
        published_once.append(post["status"] == "published" and len(events) == 1)
    checks["every scheduled post published once, one event each"] = bool(published_once) and all(published_once)
    jobs = list(pages(args.proxy, "/api/v1/jobs?kind=publish_post&limit=100", admin))
    live = [j for j in jobs if j["state"] not in ("succeeded", "cancelled")]
    checks["no publication job left, failed or dead"] = not live
    checks["no publication job ran twice"] = all(j["attempts"] <= 1 for j in jobs if j["state"] == "succeeded")

    # A write through one instance reads fresh through the others.
    token = writers[0]
    _, created = call(instances[0], "POST", "/api/articles",
                      {"article": {"title": "Fresh", "description": "d", "body": "b"}}, token, "Token")
    slug = created["article"]["slug"]
    fresh = []
    for title in ("Fresh", "Fresher"):
        if title == "Fresher":
            call(instances[0], "PUT", f"/api/articles/{slug}", {"article": {"body": "changed"}}, token, "Token")
        for other in instances[1:]:
            _, seen = call(other, "GET", f"/api/articles/{slug}")
            fresh.append(seen["article"]["body"] == ("b" if title == "Fresh" else "changed"))
    checks["a write through one instance reads fresh through the others"] = all(fresh)

    report = {"requests": load.requests, "failures": load.failures[:10], "failed": len(load.failures),
              "scheduled_posts": len(load.scheduled), "publication_jobs": len(jobs), "checks": checks}
    json.dump(report, open(args.report, "w"), indent=2)
    print(json.dumps(report, indent=2))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
