#!/usr/bin/env bash
# Renders the demo inventory's gap report as HTML and screenshots it in headless Chromium, to check
# that the self-contained page renders. Usage: scripts/screenshot-report.sh [out.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-gap-report.png}
command -v chromium >/dev/null || { sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo; DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null; }
[ -x .build/debug/logatlas ] || swift build
html=$(mktemp --suffix=.html)
.build/debug/logatlas gaps --inventory Sources/LogAtlasServer/Demo/demo-inventory.yaml --format html > "$html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1600 --screenshot="$out" "file://$html" 2>/dev/null
rm -f "$html"
echo "wrote $out"
