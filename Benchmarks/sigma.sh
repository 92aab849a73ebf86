#!/usr/bin/env bash
# Sigma rule readiness on a release build: a synthetic pack of RULES rules (5% in deprecated/) against a synthetic
# inventory of SOURCES sources; phases apart (logatlas-bench detections), then `logatlas detections` end to end,
# 5 runs. Reproduce with `make bench-sigma`. Environment: RULES (default 3000), SOURCES (10000).
set -euo pipefail
cd "$(dirname "$0")/.."
RULES=${RULES:-3000}
SOURCES=${SOURCES:-10000}
BIN=.build/release/logatlas
BENCH=.build/release/logatlas-bench
PORT=${PORT:-18083}

BENCH_NAME=sigma
source Benchmarks/common.sh
need_packages time
$BENCH generate --sources "$SOURCES" --out "$work/inventory.yaml"
$BENCH sigma-pack --rules "$RULES" --out "$work/sigma"

echo "== phases (reading the pack, parsing the inventory, judging)"
$BENCH detections --sigma "$work/sigma" -f "$work/inventory.yaml"
echo "== logatlas detections --sigma --inventory --format json, end to end, 5 runs"
for run in 1 2 3 4 5; do
  /usr/bin/time -f "wall %e s, peak RSS %M KB" -o "$work/time.txt" $BIN detections --sigma "$work/sigma" --inventory "$work/inventory.yaml" --format json > /dev/null
  cat "$work/time.txt"
done | tee "$work/runs.txt"
sort -n -k2 "$work/runs.txt" | awk '{ wall[NR] = $2 } END { printf "detections: min %s s, median %s s, max %s s\n", wall[1], wall[3], wall[5] }'
