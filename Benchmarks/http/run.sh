#!/usr/bin/env bash
# HTTP benchmark: our HTTPServer against Hummingbird 2.28.1 serving identical routes
# (GET /plaintext, GET /json), measured with wrk on loopback in alternating rounds; and the service
# itself (release `goldensignals`, access log and metrics on) on GET /health/live against
# Hummingbird's GET /plaintext in the same rounds.
#
#   Benchmarks/http/run.sh [rounds] [seconds]       defaults: 3 rounds of 10 s per cell
#   env: CONNECTIONS="64 256"  PATHS="/plaintext /json"  THREADS=2  BENCH_STAGE=<dir for the staged copy>
#        SERVICE=0 leaves the service out; SERVICE_DATABASE_URL=<postgresql URL> for it (default: an
#        embedded cluster in a temporary folder); its log (text, info: one access line per request)
#        goes to SERVICE_LOG (default: a temporary file, whose line count is printed).
#
# Prints requests/s, p50 and p99 per server (median over rounds), the our/Hummingbird ratios,
# the service/Hummingbird ratio, /metrics latency, and each server's peak RSS (VmHWM).
# A benchmark, not a test: figures depend on the machine.
set -euo pipefail

rounds="${1:-3}"
seconds="${2:-10}"
connections="${CONNECTIONS:-64 256}"
paths="${PATHS:-/plaintext /json}"
threads="${THREADS:-2}"
service="${SERVICE:-1}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ours_port=18080
hb_port=18081
svc_port=18082

command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

# Benchmarks/Package.swift names the product package "GoldenSignals", and SwiftPM names a path
# dependency after its directory. When the checkout is not called GoldenSignals (a worktree),
# build from a staged copy that is.
if [[ "$(basename "$repo")" == "GoldenSignals" ]]; then
    root="$repo"
else
    stage="${BENCH_STAGE:-${TMPDIR:-/tmp}/goldensignals-http-bench}"
    root="$stage/GoldenSignals"
    mkdir -p "$root"
    # Mirror, not merge: files deleted in the checkout must not linger in the copy (.build stays).
    rm -rf "$root/Sources" "$root/Tests" "$root/Benchmarks/Sources"
    (cd "$repo" && tar --exclude=.build --exclude=.git --exclude=Fuzz -cf - .) | (cd "$root" && tar -xf -)
fi
pkg="$root/Benchmarks"

echo "== building release binaries (Hummingbird takes minutes the first time)"
build_log="$(mktemp)"
for product in HTTPBenchServer HTTPBenchHummingbird; do
    # No cached build manifest: with it, a source file added to the product package since the last
    # build is missing from the dependency's plan.
    if ! swift build -c release --disable-build-manifest-caching --package-path "$pkg" --product "$product" > "$build_log" 2>&1; then
        tail -30 "$build_log" >&2
        exit 1
    fi
    tail -1 "$build_log"
done
if [[ $service == 1 ]]; then
    if ! swift build -c release --package-path "$root" --product goldensignals > "$build_log" 2>&1; then
        tail -30 "$build_log" >&2
        exit 1
    fi
    tail -1 "$build_log"
    svc_bin="$(swift build -c release --package-path "$root" --show-bin-path)/goldensignals"
fi
rm -f "$build_log"
bin="$(swift build -c release --package-path "$pkg" --show-bin-path)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$bin/HTTPBenchServer" --port "$ours_port" >/dev/null 2>&1 &
ours_pid=$!; pids+=("$ours_pid")
"$bin/HTTPBenchHummingbird" --port "$hb_port" >/dev/null 2>&1 &
hb_pid=$!; pids+=("$hb_pid")

if [[ $service == 1 ]]; then
    svc_data="$(mktemp -d)"
    chmod 755 "$svc_data"   # the embedded PostgreSQL runs as its own user when we are root: it must enter the folder
    svc_log="${SERVICE_LOG:-$svc_data/service.log}"
    # As deployed: text log at info (an access line per request), metrics on, no scheduled ingestion.
    (cd "$root" && env GS_INGEST_INTERVAL=0 GS_LOG_LEVEL=info GS_LOG_FORMAT=text GS_DATA_DIR="$svc_data/db" \
        ${SERVICE_DATABASE_URL:+DATABASE_URL="$SERVICE_DATABASE_URL"} \
        "$svc_bin" serve --host 127.0.0.1 --port "$svc_port" >>"$svc_log" 2>&1) &
    svc_pid=$!; pids+=("$svc_pid")
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$svc_port/health/live" >/dev/null && break
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$svc_port/health/live" >/dev/null || { tail -20 "$svc_log" >&2; echo "the service did not start" >&2; exit 1; }
    svc_pid="$(pgrep -P "$svc_pid" goldensignals || echo "$svc_pid")"
fi

for port in "$ours_port" "$hb_port"; do
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/plaintext" >/dev/null && break
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$port/plaintext" >/dev/null || { echo "server on $port did not start" >&2; exit 1; }
done
echo "== /json sizes: ours $(curl -s http://127.0.0.1:$ours_port/json | wc -c) B, hummingbird $(curl -s http://127.0.0.1:$hb_port/json | wc -c) B"

results="$(mktemp)"
# Warm-up: both servers, every path, briefly.
for port in "$ours_port" "$hb_port"; do
    for path in $paths; do wrk -t"$threads" -c64 -d2s "http://127.0.0.1:$port$path" >/dev/null; done
done
[[ $service == 1 ]] && wrk -t"$threads" -c64 -d2s "http://127.0.0.1:$svc_port/health/live" >/dev/null

# One wrk run: appends a result line and prints it.
measure() {  # server conns path port
    local out rps p50 p99 errors
    out="$(wrk -t"$threads" -c"$2" -d"${seconds}s" --latency "http://127.0.0.1:$4$3")"
    rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
    echo "$round $1 $2 $3 $rps $p50 $p99 ${errors:-}" >> "$results"
    printf 'round %s  %-11s c=%-4s %-12s %10s req/s  p50 %-9s p99 %-9s %s\n' \
        "$round" "$1" "$2" "$3" "$rps" "$p50" "$p99" "${errors:-}"
}

for round in $(seq "$rounds"); do
    for c in $connections; do
        for path in $paths; do
            # Alternate which server goes first in each round.
            if (( round % 2 )); then order="ours hummingbird"; else order="hummingbird ours"; fi
            for server in $order; do
                port=$ours_port; [[ $server == hummingbird ]] && port=$hb_port
                measure "$server" "$c" "$path" "$port"
                # The service's /health/live right after Hummingbird's /plaintext in the same round.
                if [[ $service == 1 && $server == hummingbird && $path == /plaintext ]]; then
                    measure service "$c" /health/live "$svc_port"
                fi
            done
        done
    done
done

ours_rss="$(awk '/VmHWM/ {print $2}' /proc/$ours_pid/status)"
hb_rss="$(awk '/VmHWM/ {print $2}' /proc/$hb_pid/status)"
svc_rss=0
metrics_line=""
if [[ $service == 1 ]]; then
    svc_rss="$(awk '/VmHWM/ {print $2}' /proc/$svc_pid/status 2>/dev/null || echo 0)"
    m="$(wrk -t1 -c4 -d3s --latency "http://127.0.0.1:$svc_port/metrics")"
    counted="$(curl -s "http://127.0.0.1:$svc_port/metrics" | awk -F'} ' '/^gs_http_requests_total\{method="GET",route="\/health\/live",status="200"\}/ {print $2}')"
    metrics_line="GET /metrics (c=4, 3 s): $(awk '/^Requests\/sec/ {print $2}' <<<"$m") req/s, p50 $(awk '$1 == "50%" {print $2}' <<<"$m"), p99 $(awk '$1 == "99%" {print $2}' <<<"$m"), $(curl -s "http://127.0.0.1:$svc_port/metrics" | wc -c) B"
fi

python3 - "$results" "$ours_rss" "$hb_rss" "$svc_rss" <<'PY'
import sys, statistics
def ms(t):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if t.endswith(unit):
            return float(t[:-len(unit)]) * f
    return float(t)
rows = {}
for line in open(sys.argv[1]):
    r, server, c, path, rps, p50, p99 = line.split()[:7]
    rows.setdefault((server, int(c), path), []).append((float(rps), ms(p50), ms(p99)))
def med(server, c, path, i):
    return statistics.median(x[i] for x in rows[(server, c, path)])
print()
print("median over rounds            ours                        hummingbird                 ours/hb")
print("conns path        req/s     p50 ms   p99 ms     req/s     p50 ms   p99 ms     req/s   p99")
for (server, c, path) in sorted(k for k in rows if k[0] == "ours"):
    o = [med("ours", c, path, i) for i in range(3)]
    h = [med("hummingbird", c, path, i) for i in range(3)]
    print(f"{c:<5} {path:<10} {o[0]:>9.0f} {o[1]:>9.2f} {o[2]:>8.2f} {h[0]:>9.0f} {h[1]:>9.2f} {h[2]:>8.2f}   {o[0]/h[0]:>6.2f}x {o[2]/h[2]:>5.2f}")
svc = sorted(k for k in rows if k[0] == "service")
if svc:
    print()
    print("service (access log + metrics on) /health/live   hummingbird /plaintext      service/hb")
    print("conns      req/s     p50 ms   p99 ms            req/s     p50 ms   p99 ms     req/s")
    for (_, c, path) in svc:
        s = [med("service", c, path, i) for i in range(3)]
        h = [med("hummingbird", c, "/plaintext", i) for i in range(3)]
        print(f"{c:<5} {s[0]:>10.0f} {s[1]:>9.2f} {s[2]:>8.2f}        {h[0]:>9.0f} {h[1]:>9.2f} {h[2]:>8.2f}   {s[0]/h[0]:>6.2f}x")
print(f"\npeak RSS (VmHWM): ours {int(sys.argv[2])/1024:.1f} MB, hummingbird {int(sys.argv[3])/1024:.1f} MB"
      + (f", service {int(sys.argv[4])/1024:.1f} MB" if svc else ""))
PY
rm -f "$results"
if [[ $service == 1 ]]; then
    echo "$metrics_line"
    # SIGTERM, then every access line must be in the log (buffered lines are flushed at shutdown).
    kill -TERM "$svc_pid"
    for _ in $(seq 100); do kill -0 "$svc_pid" 2>/dev/null || break; sleep 0.1; done
    echo "service: $counted requests to /health/live counted by its metrics, $(grep -c ' /health/live 200' "$svc_log") access lines in its log after SIGTERM ($svc_log)"
fi
