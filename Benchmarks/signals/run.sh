#!/usr/bin/env bash
# Signal list benchmark: `GET /api/v1/signals?limit=50` on the service as deployed (release build,
# access log and metrics on), against our bare HTTP server's `GET /plaintext` measured in the same run,
# with wrk on loopback, rounds alternating. The page is fetched three ways: as a browser or an HTTP
# library fetches it (`Accept-Encoding: gzip`), as a client that accepts no coding (identity, ~130 KB),
# and revalidated with its ETag (304). The service holds the signals of every daily file of
# ../shared/data (imported and generated first, in a database of the test PostgreSQL).
#
#   Benchmarks/signals/run.sh [rounds] [seconds]        defaults: 3 rounds of 10 s per cell, 64 connections
#   env: GS_TEST_DATABASE_URL (default: the test PostgreSQL), CONNECTIONS=64, THREADS=2
set -euo pipefail
rounds="${1:-3}"
seconds="${2:-10}"
c="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
data="$(cd "$repo/.." && pwd)/shared/data"
server_url="${GS_TEST_DATABASE_URL:-$("$repo/scripts/test-postgres.sh" url)}"
service_port=18090
plain_port=18080
command -v wrk >/dev/null || { echo "wrk is not installed (make bench installs it)" >&2; exit 1; }

echo "== building release binaries"
(cd "$repo" && swift build -c release --product goldensignals 2>&1 | tail -1)
(cd "$repo" && swift build -c release --package-path Benchmarks --product HTTPBenchServer 2>&1 | tail -1)
gs="$(cd "$repo" && swift build -c release --show-bin-path)/goldensignals"
plain="$(cd "$repo" && swift build -c release --package-path Benchmarks --show-bin-path)/HTTPBenchServer"

db="gs_bench_signals_$$"
admin="$server_url"
psql "$admin" -qAtc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qAtc "CREATE DATABASE $db"
export DATABASE_URL="${server_url%/*}/$db" GS_INGEST_INTERVAL=0 GS_MIGRATIONS_DIR="$repo/migrations" GS_OPENAPI_PATH="$repo/openapi.yaml"
echo "== importing and generating the daily files"
"$gs" migrate up >/dev/null
for pair in bluefin_AAPL.csv:AAPL bluefin_JPM.csv:JPM bluefin_MSFT.csv:MSFT bluefin_PG.csv:PG bluefin_QQQ.csv:QQQ \
            bluefin_TSLA.csv:TSLA mplf_yahoofinance-SPY-20080101-20180101.csv:SPY bt_orcl-1995-2014.txt:ORCL \
            pta_SPY_D.csv:SPYP bestdaybtc_BTC-USD.csv:BTC-USD; do
    "$gs" import --symbol "${pair#*:}" "$data/${pair%%:*}" >/dev/null 2>&1
done
echo "   $(psql "$DATABASE_URL" -qAtc "SELECT count(*) FILTER (WHERE published) || ' published, ' || count(*) || ' candidates' FROM signals")"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
            psql "$admin" -qAtc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$gs" serve --no-migrate --port "$service_port" >/dev/null 2>&1 & pids+=($!)
"$plain" --port "$plain_port" >/dev/null 2>&1 & pids+=($!)
for url in "http://127.0.0.1:$service_port/health/live" "http://127.0.0.1:$plain_port/plaintext"; do
    for _ in $(seq 100); do curl -sf "$url" >/dev/null && break; sleep 0.1; done
done
list="/api/v1/signals?status=expired&limit=50"
etag="$(curl -sI "http://127.0.0.1:$service_port$list" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')"
echo "== page: $(curl -s "http://127.0.0.1:$service_port$list" | wc -c) bytes, gzip-coded $(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$service_port$list" | wc -c) bytes, ETag $etag"

results="$(mktemp)"
run() {  # name url [header]
    local out
    if [[ -n "${3:-}" ]]; then out="$(wrk -t"$threads" -c"$c" -d"${seconds}s" --latency -H "$3" "$2")"
    else out="$(wrk -t"$threads" -c"$c" -d"${seconds}s" --latency "$2")"; fi
    local rps p99 errors
    rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
    echo "$1 $rps $p99" >> "$results"
    printf '%-22s %10s req/s  p99 %-9s %s\n' "$1" "$rps" "$p99" "${errors:-}"
}
wrk -t"$threads" -c"$c" -d2s "http://127.0.0.1:$service_port$list" >/dev/null
for round in $(seq "$rounds"); do
    echo "-- round $round"
    run plaintext "http://127.0.0.1:$plain_port/plaintext"
    run signals_page_gzip "http://127.0.0.1:$service_port$list" "Accept-Encoding: gzip"
    run signals_page "http://127.0.0.1:$service_port$list"
    run signals_304 "http://127.0.0.1:$service_port$list" "If-None-Match: $etag"
    run health_live "http://127.0.0.1:$service_port/health/live"
done
python3 - "$results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    name, rps = line.split()[:2]
    rows.setdefault(name, []).append(float(rps))
m = {k: statistics.median(v) for k, v in rows.items()}
print()
for k in ("plaintext", "signals_page_gzip", "signals_page", "signals_304", "health_live"):
    print(f"{k:<18} {m[k]:>10.0f} req/s (median)   ratio to /plaintext {m[k] / m['plaintext']:.2f}")
print("target: GET /api/v1/signals?limit=50 ≥ 0.5 × our /plaintext (signals_page_gzip: as browsers fetch it;")
print("        signals_page: a client that accepts no content coding; signals_304: revalidated with its ETag)")
PY
rm -f "$results"
