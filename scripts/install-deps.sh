#!/usr/bin/env bash
# Installs what LogAtlas needs beyond Swift: the PostgreSQL server binaries (initdb, postgres) and
# util-linux's setpriv (to run PostgreSQL unprivileged when we are root). Idempotent.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

missing=()
have_postgres || missing+=(postgresql)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
# The S3 artifact store is tested against moto's S3 server, installed from PyPI into a venv.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "Swift is not on PATH: install Swift 6.1 or later first (https://www.swift.org/install/linux/)"; exit 1; }

# moto (an S3-compatible server) for the S3 artifact-store tests: .build/moto-venv/bin/moto_server.
moto=".build/moto-venv"
if [ ! -x "$moto/bin/moto_server" ]; then
  echo "installing moto[server] into $moto"
  mkdir -p .build
  python3 -m venv "$moto"
  "$moto/bin/pip" install -q --disable-pip-version-check "moto[server]"
fi
