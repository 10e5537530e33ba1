#!/usr/bin/env bash
# Secrets never reach logs: scans the logs a whole `make test` run leaves (the Swift suites' output, which
# holds the logs of every service they start; the logs of the services schemathesis and the browser test
# ran) for anything shaped like an API key (`gs_` + 12 hex + `_` + 64 hex) or a webhook signing secret
# (`whsec_` + base64 of 24 bytes), as a secret scanner would. Every key and secret the run created or sent,
# right or wrong, has that shape. Prints the file and line numbers of a finding, never its text; exits 1
# when there is one.
#   scripts/secret-scan.sh [log…]      (default: the logs of the last `make test`)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  logs=("$@")
else
  logs=()
  for f in .build/parts/test-swift.log .build/parts/test-replica.log .build/parts/test-restart.log \
           .build/schemathesis/*.log .build/dashboard-browser-*.log; do
    [ -f "$f" ] && logs+=("$f")
  done
fi
[ ${#logs[@]} -gt 0 ] || { echo "secret scan: no logs to scan (run make test first)"; exit 1; }
found=0 lines=0
for f in "${logs[@]}"; do
  lines=$((lines + $(wc -l < "$f")))
  at=$(grep -naoE 'gs_[0-9a-f]{12}_[0-9a-f]{64}|whsec_[A-Za-z0-9+/]{32}' "$f" | cut -d: -f1 | sort -un | head -20 | tr '\n' ' ')
  if [ -n "$at" ]; then
    echo "secret scan: a key or signing secret in $f, line(s) $at"
    found=1
  fi
done
[ "$found" = 0 ] && echo "secret scan: no key or signing secret in ${#logs[@]} logs ($lines lines) of this run"
exit "$found"
