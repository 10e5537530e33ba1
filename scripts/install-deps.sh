#!/usr/bin/env bash
# Installs the Debian packages GoldenSignals needs, only those that are missing.
#   scripts/install-deps.sh [run|test|bench]
# As root it uses apt-get directly; otherwise sudo when available; otherwise it names what to install.
set -euo pipefail
need=(pkg-config libpq-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libnghttp2-dev postgresql tzdata ca-certificates python3)
case "${1:-run}" in
  test) need+=(python3-venv chromium) ;;   # chromium: the dashboard's browser test
  bench) need+=(wrk python3-venv) ;;
esac
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "missing Debian packages: ${missing[*]} — install them with: apt-get install ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
