#!/usr/bin/env bash
# Checks that openapi.yaml tells the truth about the running service: schemathesis (PyPI) with every
# check, against `goldensignals serve` with real imported data, API keys required, and an admin key.
#   scripts/schemathesis.sh [examples-per-operation [schemathesis options…]]   (default ${GS_SCHEMATHESIS_EXAMPLES:-50})
# Needs the test PostgreSQL (scripts/test-postgres.sh start) and a built .build/debug/goldensignals.
# Uses its own database (gs_schemathesis, dropped afterwards) and port ${GS_SCHEMATHESIS_PORT:-18291}. One worker:
# CPython 3.11 can fail inside hypothesis (ast.parse "recursion depth mismatch") with several worker threads.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-${GS_SCHEMATHESIS_EXAMPLES:-50}}"
shift || true
port="${GS_SCHEMATHESIS_PORT:-18291}"
venv=.build/pyenv
bin=.build/debug/goldensignals
data=../shared/data
[ -x "$venv/bin/schemathesis" ] || scripts/python-deps.sh
[ -x "$bin" ] || swift build --product goldensignals

base="$(scripts/test-postgres.sh url)"
admin="${base%/*}/postgres"
db=gs_schemathesis
export DATABASE_URL="${base%/*}/$db"
work=.build/schemathesis
rm -rf "$work" && mkdir -p "$work"
psql -qAtX "$admin" -c "drop database if exists $db" -c "create database $db" >/dev/null

# Real data: a stock and a crypto daily file, their signals, outcomes and calibrations.
"$bin" migrate up >"$work/setup.log" 2>&1
"$bin" import --symbol AAPL "$data/bluefin_AAPL.csv" >>"$work/setup.log" 2>&1
"$bin" import --symbol BTC-USD "$data/bestdaybtc_BTC-USD.csv" >>"$work/setup.log" 2>&1
"$bin" evaluate >>"$work/setup.log" 2>&1
key="$("$bin" keys create --name schemathesis --scopes admin --rate 1000000 --burst 10000000 | awk '$1 == "key" { print $2 }')"

GS_AUTH=required GS_WEBHOOK_ALLOWED_HOSTS=127.0.0.1,localhost GS_ANOMALY_INTERVAL=1 "$bin" serve --no-migrate --port "$port" >"$work/service.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql -qAtX "$admin" -c "drop database if exists $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/health/ready" >/dev/null && break; sleep 0.1; done

# Cursors the service issued (the second page of each list), a stored signal and a webhook, for scripts/schemathesis.toml.
auth=(-H "Authorization: Bearer $key")
cursor() {
  local c=""
  for _ in $(seq 50); do   # webhook deliveries are recorded as they happen: wait for a second page
    c="$(curl -sf "${auth[@]}" "$url$1" | "$venv/bin/python3" -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')"
    [ -n "$c" ] && break
    sleep 0.1
  done
  [ -n "$c" ] || { echo "no second page at $1" >&2; exit 1; }
  echo "$c"
}
export GS_CURSOR_SYMBOLS="$(cursor "/api/v1/symbols?limit=1")"
export GS_CURSOR_QUALITY="$(cursor "/api/v1/quality?limit=1")"
export GS_CURSOR_SIGNALS="$(cursor "/api/v1/signals?status=all&limit=1")"
export GS_CURSOR_BARS="$(cursor "/api/v1/market-data/AAPL?limit=1")"
export GS_CURSOR_ANOMALIES="$(cursor "/api/v1/monitoring/anomalies?status=all&limit=1")"   # the stale series, found within a second
export GS_CURSOR_INDICATORS="$(cursor "/api/v1/indicators/AAPL?limit=1&from=2000-01-03")"
export GS_SIGNAL_ID="$(curl -sf "${auth[@]}" "$url/api/v1/signals?status=all&limit=1" | "$venv/bin/python3" -c 'import json,sys; print(json.load(sys.stdin)["signals"][0]["id"])')"
export GS_WEBHOOK_ID="$(curl -sf "${auth[@]}" -H "Content-Type: application/json" -d '{"url":"http://127.0.0.1:9/hook","events":["signal.created"]}' \
  "$url/api/v1/webhooks" | "$venv/bin/python3" -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
for _ in 1 2; do curl -sf "${auth[@]}" -X POST "$url/api/v1/webhooks/$GS_WEBHOOK_ID/test" >/dev/null; done
export GS_CURSOR_DELIVERIES="$(cursor "/api/v1/webhooks/$GS_WEBHOOK_ID/deliveries?limit=1")"
for _ in 1 2; do
  curl -sf "${auth[@]}" -H "Content-Type: application/json" -d '{"symbols":["AAPL"],"timeframe":"1d","from":"2015-01-01"}' \
    "$url/api/v1/backtests" >/dev/null
done
export GS_CURSOR_BACKTESTS="$(cursor "/api/v1/backtests?limit=1")"

status=0
"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run openapi.yaml --url "$url" \
  --checks all --max-examples "$examples" --workers 1 --seed "${GS_SCHEMATHESIS_SEED:-20261201}" \
  --generation-database none --no-color --warnings off --header "Authorization: Bearer $key" \
  --report junit --report-dir "$work" "$@" || status=$?
echo "schemathesis: $examples examples per operation, exit $status (service log: $work/service.log)"
exit "$status"
