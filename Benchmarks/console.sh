#!/usr/bin/env bash
# Web-console benchmarks on a release build. Reproduce with `make bench-console` (or Benchmarks/console.sh after
# `swift build -c release`). Environment: CLIENTS (default 16), SECONDS_PER_RUN (10), SOURCES (10000: 100
# organisations, 1,000 systems), REQUESTS (40 requests filed for the benchmark custodian's organisation).
#   1. a custodian's inbox (`/`) and a request page (`/requests/{id}`) at CLIENTS concurrent sessions (wrk), each
#      next to the equivalent JSON in the same run (`GET /v1/requests`, `GET /v1/requests/{id}`) with a bearer token;
#   2. the readiness page (all policies) over SOURCES sources: time to render and the size of its HTML.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-16}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
SOURCES=${SOURCES:-10000}
REQUESTS=${REQUESTS:-40}
BIN=.build/release/logatlas
BENCH=.build/release/logatlas-bench
PORT=${PORT:-18082}
BENCH_NAME=laconsole
source Benchmarks/common.sh
need_packages wrk
$BENCH generate --sources "$SOURCES" --out "$work/inventory.yaml"
start_server --artifact-dir "$work/artifacts"
$BIN apply -f "$work/inventory.yaml" --data-dir "$db" >/dev/null
org=org-00001
$BIN user add bench-csirt --role csirt --data-dir "$db" >/dev/null
$BIN user add bench-custodian --role custodian --org "$org" --data-dir "$db" >/dev/null
$BIN user add bench-admin --role admin --data-dir "$db" >/dev/null
token() { $BIN token create --user "$1" --expires 1d --data-dir "$db" 2>/dev/null; }
csirt_token=$(token bench-csirt); custodian_token=$(token bench-custodian)
api="http://127.0.0.1:$PORT"

# Requests for the custodian's organisation, each asking for 3 of its sources and one of another organisation's
# (so every request page holds an item the custodian must not see).
"$PGBIN/psql" -h "$db" -U logatlas -d logatlas -Atc "SELECT id FROM log_sources WHERE custodian_org_id = '$org' ORDER BY id" > "$work/own.txt"
other=$("$PGBIN/psql" -h "$db" -U logatlas -d logatlas -Atc "SELECT id FROM log_sources WHERE custodian_org_id <> '$org' ORDER BY id LIMIT 1")
window_from=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ); window_to=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
mapfile -t own < "$work/own.txt"
for i in $(seq 0 $((REQUESTS - 1))); do
  a=${own[$((i * 3 % ${#own[@]}))]}; b=${own[$(((i * 3 + 1) % ${#own[@]}))]}; c=${own[$(((i * 3 + 2) % ${#own[@]}))]}
  curl -sf -o "$work/request.json" -X POST -H "Authorization: Bearer $csirt_token" -H 'Content-Type: application/json' "$api/v1/requests" \
    -d "{\"incident_reference\":\"INC-BENCH-$i\",\"purpose\":\"console benchmark\",\"priority\":\"serious\",\"window\":{\"from\":\"$window_from\",\"to\":\"$window_to\"},\"sources\":[\"$a\",\"$b\",\"$c\",\"$other\"]}"
done
request_id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$work/request.json")

# A console session: the sign-in form's CSRF token and cookie, then the form posted; wrk sends the session cookie.
sign_in() {
  local user=$1 jar=$work/$1.jar password=bench-password-$1 csrf
  echo "$password" | $BIN user passwd "$user" --data-dir "$db" >/dev/null || { echo "passwd failed" >&2; return 1; }
  curl -sf -o /dev/null -c "$jar" "$api/login"
  csrf=$(awk '$6 == "la_login_csrf" {print $7}' "$jar")   # double submit: the form's token is the cookie's
  curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "username=$user" --data-urlencode "password=$password" \
    --data-urlencode "csrf_token=$csrf" "$api/login"
  awk '$6 == "la_session" {print $6 "=" $7}' "$jar"
}
custodian_cookie=$(sign_in bench-custodian)
[ -n "$custodian_cookie" ] || { echo "console sign-in failed"; exit 1; }

rate() { awk '/Requests\/sec/{printf "%.0f", $2}' "$1"; }
p99() { awk '/ 99%/{print $2}' "$1"; }
run() { # name, header, path
  wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --latency -H "$2" "$api$3" > "$work/$1.wrk"
  local non2xx; non2xx=$(awk '/Non-2xx/{print $4}' "$work/$1.wrk")
  [ -z "$non2xx" ] || { echo "$1: $non2xx responses were not 2xx"; exit 1; }
}
check_html() { curl -sf -H "Cookie: $custodian_cookie" "$api$1" | grep -q "$2" || { echo "$1 does not show $2"; exit 1; }; }
check_html / "INC-BENCH-$((REQUESTS - 1))"
check_html "/requests/$request_id" "INC-BENCH-$((REQUESTS - 1))"

echo "== custodian of $org with $REQUESTS requests, $CLIENTS concurrent connections, ${SECONDS_PER_RUN} s each"
run list-json "Authorization: Bearer $custodian_token" /v1/requests
run inbox "Cookie: $custodian_cookie" /
run request-json "Authorization: Bearer $custodian_token" "/v1/requests/$request_id"
run request-page "Cookie: $custodian_cookie" "/requests/$request_id"
run custody-json "Authorization: Bearer $custodian_token" "/v1/requests/$request_id/custody"
share() { awk -v a="$(rate "$work/$1.wrk")" -v b="$(rate "$work/$2.wrk")" 'BEGIN{printf "%.0f%%", 100 * a / b}'; }
printf '%-34s %8s req/s  p99 %s\n' "GET /v1/requests (JSON)" "$(rate "$work/list-json.wrk")" "$(p99 "$work/list-json.wrk")"
printf '%-34s %8s req/s  p99 %s  = %s of the JSON list\n' "GET / (inbox page)" "$(rate "$work/inbox.wrk")" "$(p99 "$work/inbox.wrk")" "$(share inbox list-json)"
printf '%-34s %8s req/s  p99 %s\n' "GET /v1/requests/{id} (JSON)" "$(rate "$work/request-json.wrk")" "$(p99 "$work/request-json.wrk")"
printf '%-34s %8s req/s  p99 %s  = %s of the JSON request\n' "GET /requests/{id} (page)" "$(rate "$work/request-page.wrk")" "$(p99 "$work/request-page.wrk")" "$(share request-page request-json)"
printf '%-34s %8s req/s  p99 %s  (one of the parts the page shows)\n' "GET /v1/requests/{id}/custody" "$(rate "$work/custody-json.wrk")" "$(p99 "$work/custody-json.wrk")"

echo "== readiness page, all policies, $SOURCES sources, as an admin"
admin_cookie=$(sign_in bench-admin); admin_token=$(token bench-admin)
# Alternated with the same matrix as JSON (`GET /v1/readiness`, computed the same way) as the baseline of this run.
for i in 1 2 3 4 5 6; do
  curl -sf -o "$work/readiness.html" -w "%{time_total} %{size_download}\n" -H "Cookie: $admin_cookie" "$api/readiness" >> "$work/readiness.times"
  curl -sf -o "$work/readiness.json" -w "%{time_total} %{size_download}\n" -H "Authorization: Bearer $admin_token" "$api/v1/readiness" >> "$work/readiness-json.times"
done
grep -q 'id="heatmap"' "$work/readiness.html" || { echo "no heat map on the readiness page"; exit 1; }
cells=$(grep -o 'class="cell ' "$work/readiness.html" | wc -l); rows=$(grep -o 'class="row"' "$work/readiness.html" | wc -l)
summary() { # label, times file
  tail -n +2 "$2" | sort -n | awk -v label="$1" '{ t[NR] = $1; size = $2 }
    END { printf "%-30s 5 runs after a warm-up: %.0f–%.0f ms, median %.0f ms; %.2f MB\n", label, t[1] * 1000, t[NR] * 1000, t[3] * 1000, size / 1e6 }'
}
summary "GET /v1/readiness (JSON)" "$work/readiness-json.times"
summary "GET /readiness (page)" "$work/readiness.times"
echo "the page: $rows systems, $cells cells"
