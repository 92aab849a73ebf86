#!/usr/bin/env bash
# Three replicas against one, on the local cluster (deploy/local-cluster.sh) with a release build. Reproduce with
# `make bench-cluster` (or Benchmarks/cluster.sh after `swift build -c release`). Environment: CLIENTS (default 16),
# SECONDS_PER_RUN (10).
#   1. inventory reads (`GET /v1/sources/{id}` of the demo's sources, wrk) through nginx with three replicas, then
#      through nginx after replicas 2 and 3 were stopped, then straight to replica 1 (no balancer): requests per
#      second, latency, and where the two cores went (replicas, PostgreSQL, nginx, wrk);
#   2. the fault figures of scripts/cluster_check.py on the release build: how fast reads go on after a replica is
#      killed, and how fast the service answers after a PostgreSQL restart (target 5 s).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-16}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BIN=$(pwd)/.build/release/logatlas
PORT=0
BENCH_NAME=lacluster
source Benchmarks/common.sh
need_packages wrk time
cluster=$work/cluster
stop_cluster() { deploy/local-cluster.sh stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap stop_cluster EXIT
LOGATLAS_LOG_LEVEL=warning deploy/local-cluster.sh start "$cluster" "$BIN" >/dev/null
# shellcheck disable=SC1091
source "$cluster/cluster.env"
curl -sf -H "Authorization: Bearer $TOKEN_ADMIN" "$BALANCER_URL/v1/sources?limit=200" \
  | python3 -c 'import json, sys; print("\n".join(s["id"] for s in json.load(sys.stdin)["items"]))' > "$work/ids.txt"
echo "== $(wc -l < "$work/ids.txt") sources; wrk -t2 -c$CLIENTS -d${SECONDS_PER_RUN}s, GET /v1/sources/{id} as the admin"

ticks() {   # the CPU clock ticks (user + system) of the given processes and all their descendants
  python3 - "$@" <<'EOF'
import os, sys
children = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        children.setdefault(fields[1], []).append((pid, int(fields[11]) + int(fields[12])))
    except OSError:
        pass
def total(pid):
    own = 0
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        own = int(fields[11]) + int(fields[12])
    except OSError:
        pass
    return own + sum(total(child) for child, _ in children.get(pid, []))
print(sum(total(pid) for pid in sys.argv[1:] if pid))
EOF
}

replica_pids() { for n in "$@"; do cat "$cluster/replica$n.pid"; done; }
postmaster=$(head -1 "$cluster/pgdata/postmaster.pid")
nginx_master=$(cat "$cluster/nginx.pid")

run() {   # label URL replica-numbers...
  local label=$1 url=$2; shift 2
  wrk -t2 -c"$CLIENTS" -d2s -s Benchmarks/get-source.lua "$url" -- "$work/ids.txt" "$TOKEN_ADMIN" >/dev/null   # warm-up
  local r0 p0 n0; r0=$(ticks $(replica_pids "$@")); p0=$(ticks "$postmaster"); n0=$(ticks "$nginx_master")
  /usr/bin/time -f "%U %S" -o "$work/wrk.time" wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}"s --latency -s Benchmarks/get-source.lua "$url" \
    -- "$work/ids.txt" "$TOKEN_ADMIN" > "$work/wrk.out"
  local r1 p1 n1; r1=$(ticks $(replica_pids "$@")); p1=$(ticks "$postmaster"); n1=$(ticks "$nginx_master")
  local hz; hz=$(getconf CLK_TCK)
  python3 - "$label" "$work/wrk.out" "$work/wrk.time" "$SECONDS_PER_RUN" "$(nproc)" "$hz" \
    "$((r1 - r0))" "$((p1 - p0))" "$((n1 - n0))" <<'EOF'
import re, sys
label, out, timing, seconds, cores, hz, replicas, postgres, nginx = sys.argv[1:]
text = open(out).read()
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50, p99 = (re.search(rf"^\s*{q}%\s+(\S+)", text, re.M).group(1) for q in (50, 99))
non2xx = re.search(r"non2xx=(\d+)", text).group(1)
wrk = sum(map(float, open(timing).read().split()))
capacity = float(seconds) * int(cores)
share = lambda value: f"{100 * value / capacity:.0f}%"
print(f"| {label} | {rate:,.0f} | {p50} | {p99} | {non2xx} | replicas {share(int(replicas) / int(hz))}, PostgreSQL "
      f"{share(int(postgres) / int(hz))}, nginx {share(int(nginx) / int(hz))}, wrk {share(wrk)} |")
EOF
}

echo "| topology | requests/s | p50 | p99 | non-2xx | CPU of the $(nproc) cores |"
echo "|---|---|---|---|---|---|"
run "nginx, 3 replicas" "$BALANCER_URL" 1 2 3
deploy/local-cluster.sh kill-replica "$cluster" 2 >/dev/null; deploy/local-cluster.sh kill-replica "$cluster" 3 >/dev/null
run "nginx, 1 replica (2 and 3 stopped)" "$BALANCER_URL" 1
run "replica 1 alone, no balancer" "http://127.0.0.1:$REPLICA1_PORT" 1
deploy/local-cluster.sh stop "$cluster" >/dev/null

echo "== faults on the release build (scripts/cluster_check.py, 40 s of mixed load)"
.build/deploy-venv/bin/python scripts/cluster_check.py "$BIN" | sed -n '/^{/,/^}/p'
