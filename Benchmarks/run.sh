#!/usr/bin/env bash
# LogAtlas benchmarks on a release build. Reproduce with `make bench` (or Benchmarks/run.sh after
# `swift build -c release`). Environment: SOURCES (default 100000), CLIENTS (32), SECONDS_PER_RUN (15).
#   1. apply of a synthetic inventory of SOURCES sources: wall time and peak RSS of `logatlas apply`;
#   2. GET /v1/sources/{id} at CLIENTS concurrent connections (wrk), next to `pgbench -S` at the same
#      concurrency against the same PostgreSQL cluster, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES=${SOURCES:-100000}
CLIENTS=${CLIENTS:-32}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
BIN=.build/release/logatlas
BENCH=.build/release/logatlas-bench
PORT=${PORT:-18080}

BENCH_NAME=lab
source Benchmarks/common.sh
need_packages wrk time
$BENCH generate --sources "$SOURCES" --out "$work/inventory.yaml"
ls -l "$work/inventory.yaml" | awk '{printf "inventory file: %.1f MB\n", $5/1048576}'

# The server owns the embedded cluster; the CLI commands below attach to it.
start_server

timed_apply() {
  if ! /usr/bin/time -f "wall %e s, peak RSS %M KB" -o "$work/time.txt" $BIN apply -f "$work/inventory.yaml" --data-dir "$db" > "$work/apply.txt" 2>&1; then
    tail -5 "$work/apply.txt"; exit 1
  fi
  grep -E "^sources" "$work/apply.txt"; cat "$work/time.txt"
}
echo "== logatlas-bench parse (YAML decoding and validation alone)"
$BENCH parse -f "$work/inventory.yaml"
echo "== apply of $SOURCES sources (first run: everything created)"
timed_apply
echo "== apply again (nothing changes)"
timed_apply

$BIN user add bench --role csirt --data-dir "$db" >/dev/null
token=$($BIN token create --user bench --expires 1d --data-dir "$db" 2>/dev/null)
"$PGBIN/psql" -h "$db" -U logatlas -d logatlas -Atc "SELECT id FROM log_sources ORDER BY random() LIMIT 5000" > "$work/ids.txt"
"$PGBIN/createdb" -h "$db" -U logatlas pgbench
"$PGBIN/pgbench" -h "$db" -U logatlas -i -s 10 -q pgbench >/dev/null 2>&1

echo "== gap analysis of the same file with every current policy, offline (logatlas-bench gaps; then gaps --inventory end to end, 5 runs)"
$BENCH gaps -f "$work/inventory.yaml"
for run in 1 2 3 4 5; do
  /usr/bin/time -f "wall %e s, peak RSS %M KB" -o "$work/time.txt" $BIN gaps --inventory "$work/inventory.yaml" --format table > /dev/null
  cat "$work/time.txt"
done | tee "$work/gaps.txt"
sort -n -k2 "$work/gaps.txt" | awk '{ wall[NR] = $2 } END { printf "gaps --inventory: min %s s, median %s s, max %s s\n", wall[1], wall[3], wall[5] }'
echo "== server-side gap report on the same inventory in PostgreSQL (POST /v1/gap-reports: export, evaluate, store, render), CSV then JSON, twice"
for format in csv json csv json; do
  curl -s -o "$work/report.$format" -w "$format: wall %{time_total} s, HTTP %{http_code}, %{size_download} bytes\n" -X POST \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/v1/gap-reports?format=$format"
done
echo "== GET /v1/sources/{id}, $CLIENTS connections, ${SECONDS_PER_RUN}s (wrk, 2 threads)"
wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --latency -s Benchmarks/get-source.lua "http://127.0.0.1:$PORT" -- "$work/ids.txt" "$token" \
  | grep -E "Requests/sec|Latency|99%|50%|non2xx"
echo "== ceilings of the HTTP stack alone, same settings: /healthz (no auth, no database), /v1/me (token from cache, no database)"
wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$PORT/healthz" | grep -E "Requests/sec" | sed 's/^/healthz /'
wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/v1/me" | grep -E "Requests/sec" | sed 's/^/me      /'
echo "== the store alone, without HTTP: SELECT 1 through the PostgresNIO pool, then repository.source, $CLIENTS tasks"
$BENCH reads --data-dir "$db" --concurrency "$CLIENTS" --seconds "$SECONDS_PER_RUN" 2>/dev/null | grep "per second"
echo "== pgbench -S, $CLIENTS clients, ${SECONDS_PER_RUN}s, same cluster"
"$PGBIN/pgbench" -h "$db" -U logatlas -S -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" pgbench 2>/dev/null | grep -E "^tps|latency average"
echo "== the read GET /v1/sources/{id} makes, in PostgreSQL alone: source_as_caller (role switch, row-level security,"
echo "   latest attestation, measured lead time) for random IDs, prepared, $CLIENTS clients, ${SECONDS_PER_RUN}s, same cluster"
"$PGBIN/psql" -h "$db" -U logatlas -d logatlas -qAtc "CREATE SCHEMA bench; CREATE TABLE bench.ids (n integer PRIMARY KEY, id uuid NOT NULL);
  INSERT INTO bench.ids SELECT row_number() OVER (), id FROM (SELECT id FROM log_sources ORDER BY random() LIMIT 5000) s;"
cat > "$work/source_as_caller.sql" <<'SQL'
\set n random(1, 5000)
SELECT * FROM source_as_caller('csirt', '', 'bench', (SELECT id FROM bench.ids WHERE n = :n));
SQL
"$PGBIN/pgbench" -h "$db" -U logatlas -n -M prepared -f "$work/source_as_caller.sql" -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" logatlas 2>/dev/null \
  | grep -E "^tps|latency average"
