#!/usr/bin/env bash
# API-key overhead: the same release service twice on one database, one with keys off (GS_AUTH=off)
# and one requiring them (GS_AUTH=required, no open paths), measured with wrk on loopback in
# alternating rounds:
#   keyless   keys off, no Authorization header;
#   padded    keys off, an unused header as long as `Authorization: Bearer <key>` (the bytes alone);
#   keyed     keys required, a valid read key on every request: verified, scope-checked, a token
#             taken from its bucket, `RateLimit-Policy` and `RateLimit` on every response.
# Routes: GET /health/live (the cheapest: the overhead at its largest share) and the signal list
# revalidated with its ETag (304, answered from the page cache).
#
# The machine's speed drifts by more than the effect measured (a shared VM: ±20% between runs of the
# same binary), so cells are short and rounds many, the order alternates, and the figure is the
# median over rounds of each round's own keyed/keyless ratio. A second phase measures side by side:
# two wrk processes (one thread, half the connections each) load the keyless and the keyed service at
# the same time, so both see the same machine; the figure is the median of those rounds' ratios.
#
#   Benchmarks/access/run.sh [rounds] [seconds]      defaults: 10 rounds of 3 s per cell, 64 connections
#   env: GS_TEST_DATABASE_URL (default: the test PostgreSQL), CONNECTIONS=64, THREADS=2,
#        PHASES="alternating side" (either or both)
set -euo pipefail
rounds="${1:-10}"
seconds="${2:-3}"
c="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
phases="${PHASES:-alternating side}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
data="$(cd "$repo/.." && pwd)/shared/data"
server_url="${GS_TEST_DATABASE_URL:-$("$repo/scripts/test-postgres.sh" url)}"
open_port=18093
keyed_port=18094
command -v wrk >/dev/null || { echo "wrk is not installed (make bench installs it)" >&2; exit 1; }

echo "== building the release binary"
(cd "$repo" && swift build -c release --product goldensignals 2>&1 | tail -1)
gs="$(cd "$repo" && swift build -c release --show-bin-path)/goldensignals"

db="gs_bench_access_$$"
admin="$server_url"
psql "$admin" -qAtc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qAtc "CREATE DATABASE $db"
export DATABASE_URL="${server_url%/*}/$db" GS_INGEST_INTERVAL=0 GS_MIGRATIONS_DIR="$repo/migrations" GS_OPENAPI_PATH="$repo/openapi.yaml"
"$gs" migrate up >/dev/null
"$gs" import --symbol ORCL "$data/bt_orcl-1995-2014.txt" >/dev/null 2>&1
key="$("$gs" keys create --name access-bench --scopes read --rate 1000000/s --burst 1000000 2>/dev/null | awk '/^key/ {print $2}')"
[[ "$key" == gs_* ]] || { echo "no key was created" >&2; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
            psql "$admin" -qAtc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# As deployed: text log at info (an access line per request), metrics on.
export GS_LOG_LEVEL=info GS_LOG_FORMAT=text
GS_AUTH=off "$gs" serve --no-migrate --host 127.0.0.1 --port "$open_port" >/dev/null 2>&1 & pids+=($!)
GS_AUTH=required GS_AUTH_OPEN_PATHS="" "$gs" serve --no-migrate --host 127.0.0.1 --port "$keyed_port" >/dev/null 2>&1 & pids+=($!)
for port in "$open_port" "$keyed_port"; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health/live" && break; sleep 0.1; done
done
auth="Authorization: Bearer $key"
padding="X-Padding-Field: Bearer $key"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$keyed_port/health/live")" == 401 ]] || { echo "keys are not required on $keyed_port" >&2; exit 1; }
list="/api/v1/signals?status=all&limit=50"
tag() { curl -s -D - -o /dev/null "$@" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r'; }
open_tag="$(tag "http://127.0.0.1:$open_port$list")"
keyed_tag="$(tag -H "$auth" "http://127.0.0.1:$keyed_port$list")"
[[ -n "$open_tag" && "$open_tag" == "$keyed_tag" ]] || { echo "no ETag, or different pages: $open_tag / $keyed_tag" >&2; exit 1; }

results="$(mktemp)"
run() {  # name url header...
    local name="$1" url="$2" out rps p99 errors
    shift 2
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    out="$(wrk -t"$threads" -c"$c" -d"${seconds}s" --latency "${args[@]}" "$url")"
    rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
    echo "$round $name $rps $p99" >> "$results"
    printf '%-22s %10s req/s  p99 %-9s %s\n' "$name" "$rps" "$p99" "${errors:-}"
}
for port in "$open_port" "$keyed_port"; do wrk -t"$threads" -c"$c" -d2s -H "$auth" "http://127.0.0.1:$port/health/live" >/dev/null; done
if [[ " $phases " == *" alternating "* ]]; then
for round in $(seq "$rounds"); do
    echo "-- round $round"
    cells=(keyless padded keyed)
    (( round % 2 )) || cells=(keyed padded keyless)
    for cell in "${cells[@]}"; do
        case $cell in
        keyless) run live_keyless "http://127.0.0.1:$open_port/health/live"
                 run list304_keyless "http://127.0.0.1:$open_port$list" "If-None-Match: $open_tag" ;;
        padded)  run live_padded "http://127.0.0.1:$open_port/health/live" "$padding"
                 run list304_padded "http://127.0.0.1:$open_port$list" "$padding" "If-None-Match: $open_tag" ;;
        keyed)   run live_keyed "http://127.0.0.1:$keyed_port/health/live" "$auth"
                 run list304_keyed "http://127.0.0.1:$keyed_port$list" "$auth" "If-None-Match: $keyed_tag" ;;
        esac
    done
done
python3 - "$results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    rnd, name, rps = line.split()[:3]
    rows.setdefault(name, {})[rnd] = float(rps)
print()
print("route                      keyless    padded     keyed  (medians, req/s)   keyed/keyless  keyed/padded  (medians of each round's ratio)")
for route, label in (("live", "GET /health/live"), ("list304", "GET /api/v1/signals (304)")):
    k, p, s = rows[route + "_keyless"], rows[route + "_padded"], rows[route + "_keyed"]
    rk = statistics.median(s[r] / k[r] for r in k)
    rp = statistics.median(s[r] / p[r] for r in p)
    print(f"{label:<26} {statistics.median(k.values()):>8.0f} {statistics.median(p.values()):>9.0f} {statistics.median(s.values()):>9.0f}"
          f"                     {rk:>12.3f} {rp:>13.3f}")
print("target: keyed within 10% of keyless (keyed/keyless ≥ 0.90)")
PY
rm -f "$results"
fi

if [[ " $phases " == *" side "* ]]; then
echo
echo "== side by side: keyless and keyed loaded at the same time ($rounds rounds of $seconds s, 2 × $((c / 2)) connections)"
side="$(mktemp)"
for route in live list304; do
    for round in $(seq "$rounds"); do
        if [[ $route == live ]]; then
            open_url="http://127.0.0.1:$open_port/health/live"; keyed_url="http://127.0.0.1:$keyed_port/health/live"
            open_h=(); keyed_h=(-H "$auth")
        else
            open_url="http://127.0.0.1:$open_port$list"; keyed_url="http://127.0.0.1:$keyed_port$list"
            open_h=(-H "If-None-Match: $open_tag"); keyed_h=(-H "$auth" -H "If-None-Match: $keyed_tag")
        fi
        a="$(mktemp)"; b="$(mktemp)"
        wrk -t1 -c$((c / 2)) -d"${seconds}s" "${open_h[@]}" "$open_url" > "$a" & wa=$!
        wrk -t1 -c$((c / 2)) -d"${seconds}s" "${keyed_h[@]}" "$keyed_url" > "$b" & wb=$!
        wait "$wa" "$wb"
        echo "$route $(awk '/^Requests\/sec/ {print $2}' "$a") $(awk '/^Requests\/sec/ {print $2}' "$b")" >> "$side"
        rm -f "$a" "$b"
    done
done
python3 - "$side" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    route, k, s = line.split()
    rows.setdefault(route, []).append((float(k), float(s)))
print("route                      keyless     keyed  (medians, req/s)   keyed/keyless (median of rounds)  rounds")
for route, label in (("live", "GET /health/live"), ("list304", "GET /api/v1/signals (304)")):
    r = rows[route]
    ratios = [s / k for k, s in r]
    print(f"{label:<26} {statistics.median(k for k, _ in r):>8.0f} {statistics.median(s for _, s in r):>9.0f}"
          f"                     {statistics.median(ratios):>12.3f}   " + " ".join(f"{x:.2f}" for x in ratios))
print("target: keyed within 10% of keyless (keyed/keyless ≥ 0.90)")
PY
rm -f "$side"
fi
