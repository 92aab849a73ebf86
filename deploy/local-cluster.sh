#!/usr/bin/env bash
# The production topology of compose.yaml on one machine, from local processes on loopback: one PostgreSQL, three
# `logatlas serve` replicas on it (started together: their migrations race for the advisory lock), nginx in front
# with deploy/nginx.conf's retry rules, and moto's S3 server holding the evidence. scripts/cluster_check.py drives it.
#
#   deploy/local-cluster.sh start DIR [BINARY]   start everything; DIR/cluster.env then holds the ports, the URLs
#                                                and the demo tokens (BALANCER_URL, DATABASE_URL, TOKEN_ADMIN, …)
#   deploy/local-cluster.sh stop DIR             stop everything
#   deploy/local-cluster.sh kill-replica DIR N   SIGKILL replica N (1–3)
#   deploy/local-cluster.sh start-replica DIR N  start replica N again
#   deploy/local-cluster.sh restart-postgres DIR restart PostgreSQL (fast shutdown, then start)
#
# Replicas get the environment of this script (e.g. LOGATLAS_SLA, LOGATLAS_WEBHOOK_ALLOW) plus their own settings.
# Needs PostgreSQL's server binaries, nginx and moto (scripts/install-deps.sh --browser installs all three).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
command="${1:?usage: local-cluster.sh start|stop|kill-replica|start-replica|restart-postgres DIR}"
dir="$(mkdir -p "${2:?give the cluster folder}" && cd "$2" && pwd)"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
moto="${LOGATLAS_MOTO_SERVER:-$root/.build/moto-venv/bin/moto_server}"
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() {   # url seconds
  for _ in $(seq 1 $(( $2 * 5 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "local-cluster: $1 did not answer within $2 s" >&2
  return 1
}

start_replica() {   # N
  local n="$1" port_var="REPLICA${1}_PORT"
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
  DATABASE_URL="$DATABASE_URL" LOGATLAS_S3_URL="$S3_URL/evidence" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
    AWS_REGION=us-east-1 LOGATLAS_LOG_LEVEL="${LOGATLAS_LOG_LEVEL:-info}" \
    nohup "$BINARY" serve --host 127.0.0.1 --port "${!port_var}" >> "$dir/replica$n.log" 2>&1 &
  echo $! > "$dir/replica$n.pid"
}

postgres_ctl() { "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$dir/pgdata" -w -l "$dir/pgdata/postgres.log" "$@" > /dev/null; }

case "$command" in
start)
  binary="$(cd "$(dirname "${3:-$root/.build/debug/logatlas}")" && pwd)/$(basename "${3:-$root/.build/debug/logatlas}")"
  [ -x "$binary" ] || { echo "local-cluster: no binary at $binary (swift build first)" >&2; exit 1; }
  [ -x "$moto" ] || { echo "local-cluster: moto_server not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
  chmod 755 "$dir"
  pg_port=$(free_port); s3_port=$(free_port); balancer_port=$(free_port)
  {
    echo "BINARY=$binary"
    echo "POSTGRES_PORT=$pg_port"
    echo "DATABASE_URL=postgres://logatlas@127.0.0.1:$pg_port/logatlas?sslmode=disable"
    echo "S3_URL=http://127.0.0.1:$s3_port"
    echo "BALANCER_URL=http://127.0.0.1:$balancer_port"
    for n in 1 2 3; do echo "REPLICA${n}_PORT=$(free_port)"; done
  } > "$dir/cluster.env"
  # shellcheck disable=SC1091
  source "$dir/cluster.env"

  mkdir -p "$dir/pgdata"
  [ ${#as_postgres[@]} -gt 0 ] && chown postgres:postgres "$dir/pgdata"
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$dir/pgdata" -U logatlas --auth=trust -E UTF8 > "$dir/initdb.log"
  postgres_ctl -o "-p $pg_port -k $dir/pgdata -c listen_addresses=127.0.0.1" start
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U logatlas -d postgres -qc "CREATE DATABASE logatlas"

  nohup "$moto" -H 127.0.0.1 -p "$s3_port" > "$dir/moto.log" 2>&1 &
  echo $! > "$dir/moto.pid"
  wait_for "$S3_URL/moto-api/" 30
  curl -fsS -X PUT "$S3_URL/evidence" > /dev/null

  for n in 1 2 3; do start_replica "$n"; done
  for n in 1 2 3; do port_var="REPLICA${n}_PORT"; wait_for "http://127.0.0.1:${!port_var}/readyz" 120; done
  # The demo inventory and one token per demo user, through any replica's database.
  DATABASE_URL="$DATABASE_URL" "$BINARY" demo | sed -n 's/^ *export \(TOKEN_[A-Z_]*=[^ ]*\)$/\1/p' >> "$dir/cluster.env"

  # deploy/nginx.conf with loopback addresses for the compose service names, and files of its own in DIR.
  sed -e "s/server logatlas-1:8080/server 127.0.0.1:$REPLICA1_PORT/" \
      -e "s/server logatlas-2:8080 \(.*\)$/server 127.0.0.1:$REPLICA2_PORT \1\n        server 127.0.0.1:$REPLICA3_PORT \1/" \
      -e "s/listen 8080;/listen 127.0.0.1:$balancer_port;/" \
      -e "s|^http {|http {\n    access_log $dir/nginx-access.log;\n    client_body_temp_path $dir/nginx-body;\n    proxy_temp_path $dir/nginx-proxy;|" \
      "$here/nginx.conf" > "$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" -g "pid $dir/nginx.pid; error_log $dir/nginx-error.log;"
  wait_for "$BALANCER_URL/readyz" 30
  echo "local cluster up: $BALANCER_URL (replicas on ${REPLICA1_PORT}, ${REPLICA2_PORT}, ${REPLICA3_PORT}; settings in $dir/cluster.env)"
  ;;
stop)
  [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" -g "pid $dir/nginx.pid;" -s quit 2>/dev/null || true
  for n in 1 2 3; do [ -f "$dir/replica$n.pid" ] && kill -TERM "$(cat "$dir/replica$n.pid")" 2>/dev/null || true; done
  sleep 1
  [ -f "$dir/moto.pid" ] && kill "$(cat "$dir/moto.pid")" 2>/dev/null || true
  [ -d "$dir/pgdata" ] && postgres_ctl -m fast stop 2>/dev/null || true
  ;;
kill-replica)
  kill -KILL "$(cat "$dir/replica${3:?which replica}.pid")"
  ;;
start-replica)
  start_replica "${3:?which replica}"
  port_var="REPLICA${3}_PORT"
  wait_for "http://127.0.0.1:${!port_var}/readyz" 60
  ;;
restart-postgres)
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
  postgres_ctl -m fast stop
  postgres_ctl -o "-p $POSTGRES_PORT -k $dir/pgdata -c listen_addresses=127.0.0.1" start
  ;;
*)
  echo "local-cluster: unknown command $command" >&2
  exit 2
  ;;
esac
