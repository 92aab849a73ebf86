#!/usr/bin/env bash
# Installs what LogAtlas needs beyond Swift: the PostgreSQL server binaries (initdb, postgres), zlib's headers and
# util-linux's setpriv (to run PostgreSQL unprivileged when we are root). With --browser (make test), also
# Chromium and its WebDriver for the console's browser tests. Idempotent.
set -euo pipefail
browser=0
[ "${1:-}" = "--browser" ] && browser=1

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

missing=()
have_postgres || missing+=(postgresql)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
# zlib's headers for compress-nio (Sigma rule packs uploaded as .tar.gz).
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
# The S3 artifact store is tested against moto's S3 server, installed from PyPI into a venv.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ "$browser" = 1 ]; then
  # The deployment checks (scripts/deploy_check.py): nginx -t for the load balancer, systemd-analyze for the unit.
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  # The e-mail check makes its SMTP server's certificate with openssl.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  # Japanese glyphs for the screenshots of Japanese pages.
  fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing+=(fonts-noto-cjk)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "Swift is not on PATH: install Swift 6.1 or later first (https://www.swift.org/install/linux/)"; exit 1; }

# Python test tools, each in a venv of its own under .build/: moto's S3 server for the S3 artifact-store tests, and
# schemathesis (pinned: its checks and phases are named in scripts/reliability.py) for contract fuzzing.
python_tool() {   # venv-name executable requirement
  local venv=".build/$1"
  if [ ! -x "$venv/bin/$2" ]; then
    echo "installing $3 into $venv"
    mkdir -p .build
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$3"
  fi
}
python_tool moto-venv moto_server "moto[server]"
python_tool schemathesis-venv schemathesis "schemathesis==4.32.5"
# kubernetes-validate (with PyYAML) checks the Kubernetes manifests in deploy/ against the Kubernetes schemas.
python_tool deploy-venv kubernetes-validate "kubernetes-validate==1.37.0"
# Libraries the Python checks import, each set in a venv of its own.
python_modules() {   # venv-name "import check" requirement...
  local venv=".build/$1" modules="$2"
  shift 2
  if ! "$venv/bin/python" -c "import $modules" >/dev/null 2>&1; then
    echo "installing $* into $venv"
    mkdir -p .build
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$@"
  fi
}
# The Standard Webhooks reference library verifies the signatures of delivered webhooks, and aiosmtpd is the SMTP
# server e-mail is sent to (scripts/notifications_check.py).
python_modules notify-venv "standardwebhooks, aiosmtpd" "standardwebhooks==1.3.0" "aiosmtpd==1.4.6"
# oidc-provider-mock is the OpenID Connect provider the console signs in with (scripts/signin_check.py).
python_modules signin-venv oidc_provider_mock "oidc-provider-mock==0.3.4"
if [ "$browser" = 1 ]; then
  # Selenium drives Chromium; axe-selenium-python runs the axe-core accessibility check in the page.
  python_modules browser-venv "selenium, axe_selenium_python" "selenium==4.45.0" "axe-selenium-python==2.1.6"
fi
