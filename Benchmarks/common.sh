# What the benchmark scripts share; sourced by run.sh, broker.sh and console.sh after they set BIN and PORT.

# Installs the named Debian packages when the command of the same name is missing.
need_packages() {
  local missing=() package
  for package in "$@"; do
    case $package in
      time) [ -x /usr/bin/time ] || missing+=(time) ;;
      *) command -v "$package" >/dev/null || missing+=("$package") ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
}

PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -1)")

# A work folder (`$work`, the database in `$db`), removed with the server stopped when the script exits.
work=$(mktemp -d "${BENCH_DIR:-/tmp}/${BENCH_NAME:-lab}.XXXX")
chmod 755 "$work"   # the embedded PostgreSQL runs as an unprivileged account when we are root
db=$work/db
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill -INT "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ); work folder on $(df -h "$work" | awk 'NR==2{print $1}')"

# Starts `logatlas serve` on the embedded cluster in `$db` (extra arguments passed on) and waits until it is ready.
start_server() {
  $BIN serve --data-dir "$db" --port "$PORT" "$@" > "$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "server did not start:"; tail -5 "$work/serve.log"; exit 1; }
}
