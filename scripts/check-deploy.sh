#!/usr/bin/env bash
# Checks deploy/: Prometheus alert rules (promtool check + rule unit tests) and
# the Grafana dashboard (valid JSON whose queries use metrics Herald exports).
# promtool comes from Debian's `prometheus` package, unpacked into .tools/
# without installing (or starting) the server.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=.tools/prometheus
promtool="$tools/usr/bin/promtool"
if [[ ! -x "$promtool" ]]; then
    echo "==> fetching promtool (Debian package prometheus)"
    mkdir -p "$tools"
    download="$(mktemp -d)"
    (cd "$download" && apt-get download prometheus >/dev/null 2>&1) || {
        apt-get update -qq && (cd "$download" && apt-get download prometheus >/dev/null)
    }
    dpkg-deb -x "$download"/prometheus_*.deb "$tools"
    rm -rf "$download"
fi

echo "==> promtool check rules"
"$promtool" check rules deploy/prometheus/alerts.yml
echo "==> promtool test rules"
(cd deploy/prometheus && "../../$promtool" test rules alerts_test.yml)

echo "==> grafana dashboard"
python3 - <<'PY'
import glob, json, re, subprocess
dashboard = json.load(open("deploy/grafana/herald.json"))
assert dashboard["panels"], "the dashboard has panels"
source = "".join(open(p).read() for p in glob.glob("src/**/*.rs", recursive=True))
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        for metric in re.findall(r"\b((?:http|herald|process)_[a-z_]+?)(?:_bucket)?\{", target["expr"]):
            assert metric in source, f"panel {panel['title']!r} uses {metric}, which Herald does not export"
print(f"ok: {len(dashboard['panels'])} panels, every metric exported")
PY
