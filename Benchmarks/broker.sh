#!/usr/bin/env bash
# Retrieval-broker benchmarks on a release build. Reproduce with `make bench-broker` (or Benchmarks/broker.sh
# after `swift build -c release`). Environment: ARTIFACT_MB (default 1024), CLIENTS (16), SECONDS_PER_RUN (15).
#   1. evidence upload and download of an ARTIFACT_MB file through the API, next to `cp` of the same file on the
#      same disk in the same run, with the server's RSS growth sampled during each transfer;
#   2. filing a request for 20 sources (feasibility computed at filing) at CLIENTS concurrent connections (wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACT_MB=${ARTIFACT_MB:-1024}
CLIENTS=${CLIENTS:-16}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
BIN=.build/release/logatlas
BENCH=.build/release/logatlas-bench
PORT=${PORT:-18081}
BENCH_NAME=labroker
source Benchmarks/common.sh
need_packages wrk
$BENCH generate --sources 2000 --out "$work/inventory.yaml" >/dev/null
start_server --artifact-dir "$work/artifacts"
$BIN apply -f "$work/inventory.yaml" --data-dir "$db" >/dev/null
$BIN user add bench-admin --role admin --data-dir "$db" >/dev/null
token=$($BIN token create --user bench-admin --expires 1d --data-dir "$db" 2>/dev/null)
"$PGBIN/psql" -h "$db" -U logatlas -d logatlas -Atc "SELECT id FROM log_sources ORDER BY id" > "$work/ids.txt"
auth="Authorization: Bearer $token"
api="http://127.0.0.1:$PORT"

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$server_pid/status"; }
# Samples the server's RSS every 50 ms while the command runs; prints the peak growth over the start value.
with_rss() {
  local before peak; before=$(rss_kb); peak=$before
  "$@" & local pid=$!
  while kill -0 "$pid" 2>/dev/null; do r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.05; done
  wait "$pid"
  echo "server RSS before $((before / 1024)) MiB, peak growth $(((peak - before) / 1024)) MiB"
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN{printf "%.0f MiB/s", b / 1048576 / s}'; }

echo "== evidence transfer of a ${ARTIFACT_MB} MiB file (random bytes)"
head -c "$((ARTIFACT_MB * 1048576))" /dev/urandom > "$work/evidence.bin"
bytes=$(stat -c %s "$work/evidence.bin")
digest=$(openssl dgst -sha256 -binary "$work/evidence.bin" | base64 -w0)
cp "$work/evidence.bin" "$work/warm.bin" && rm "$work/warm.bin"   # same page-cache state for every contender
start=$(date +%s.%N); cp "$work/evidence.bin" "$work/copy.bin"; end=$(date +%s.%N)
cp_s=$(awk -v a="$start" -v b="$end" 'BEGIN{print b - a}'); rm "$work/copy.bin"
echo "cp (same disk):      ${cp_s} s, $(mbps "$bytes" "$cp_s")"

window_from=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ); window_to=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
source_id=$(head -1 "$work/ids.txt")
request=$(curl -sf -X POST -H "$auth" -H 'Content-Type: application/json' "$api/v1/requests" \
  -d "{\"incident_reference\":\"INC-BENCH\",\"purpose\":\"transfer benchmark\",\"priority\":\"serious\",\"window\":{\"from\":\"$window_from\",\"to\":\"$window_to\"},\"sources\":[\"$source_id\"]}")
json() { python3 -c "import json,sys; print(eval('d' + sys.argv[1], {'d': json.load(sys.stdin)}))" "$1"; }
request_id=$(echo "$request" | json "['id']")
item_id=$(echo "$request" | json "['items'][0]['id']")
for action in acknowledge approve; do
  curl -sf -o /dev/null -X POST -H "$auth" -H 'Content-Type: application/json' "$api/v1/requests/$request_id/items/$item_id/transitions" -d "{\"action\":\"$action\"}"
done
upload() {
  curl -s -o "$work/artifact.json" -w "%{time_total}" -X POST -T "$work/evidence.bin" -H "$auth" \
    -H 'Content-Type: application/octet-stream' -H "Content-Digest: sha-256=:$digest:" \
    "$api/v1/requests/$request_id/items/$item_id/artifacts?file_name=evidence.bin" > "$work/upload.time"
}
with_rss upload > "$work/upload.rss"
grep -q sha256 "$work/artifact.json" || { echo "upload failed: $(cat "$work/artifact.json")"; exit 1; }
up_s=$(cat "$work/upload.time")
echo "upload (API):        ${up_s} s, $(mbps "$bytes" "$up_s") = $(awk -v c="$cp_s" -v u="$up_s" 'BEGIN{printf "%.0f%%", 100 * c / u}') of cp; $(cat "$work/upload.rss")"
artifact_id=$(json "['id']" < "$work/artifact.json")
sync   # the upload's dirty pages are written back before the next measurement, not during it
download() {
  curl -sf -o "$work/download.bin" -w "%{time_total}" -H "$auth" "$api/v1/requests/$request_id/artifacts/$artifact_id/content" > "$work/download.time"
}
with_rss download > "$work/download.rss"
down_s=$(cat "$work/download.time")
echo "download (API):      ${down_s} s, $(mbps "$bytes" "$down_s") = $(awk -v c="$cp_s" -v d="$down_s" 'BEGIN{printf "%.0f%%", 100 * c / d}') of cp; $(cat "$work/download.rss")"
cmp -s "$work/evidence.bin" "$work/download.bin" && echo "downloaded bytes identical" || { echo "DOWNLOAD DIFFERS"; exit 1; }
# The same download with curl discarding the bytes: what the server sends, without curl's own writing of the file
# (which alone takes longer than cp's in-kernel copy_file_range).
discard() { curl -sf -o /dev/null -w "%{time_total}" -H "$auth" "$api/v1/requests/$request_id/artifacts/$artifact_id/content" > "$work/discard.time"; }
with_rss discard > "$work/discard.rss"
discard_s=$(cat "$work/discard.time")
echo "download to /dev/null: ${discard_s} s, $(mbps "$bytes" "$discard_s") = $(awk -v c="$cp_s" -v d="$discard_s" 'BEGIN{printf "%.0f%%", 100 * c / d}') of cp; $(cat "$work/discard.rss")"
rm -f "$work/download.bin" "$work/evidence.bin"

sync
echo "== filing a request for 20 random sources with the feasibility prediction, $CLIENTS connections, ${SECONDS_PER_RUN}s (wrk)"
wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" -s Benchmarks/file-request.lua "$api" -- "$work/ids.txt" "$token" /v1/requests \
  | grep -E "Requests/sec|non2xx"
echo "== the same as a preview (nothing stored)"
wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" -s Benchmarks/file-request.lua "$api" -- "$work/ids.txt" "$token" /v1/requests:preview \
  | grep -E "Requests/sec|non2xx"
