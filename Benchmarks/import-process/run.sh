#!/usr/bin/env bash
# Import benchmark, one process per file: `goldensignals import` (a fresh process: configuration,
# migration check, parse, COPY + upsert, quality report) of each of the ten daily stock and ETF
# reference files in ../shared/data, against `psql \copy` of the same rows into a plain table, one
# psql client per file. Rounds alternate; medians are reported. The in-process comparison (one
# Application for all files) is ImportBench.
#
#   GS_TEST_DATABASE_URL=postgresql://… Benchmarks/import-process/run.sh [rounds]
#   env: GOLDENSIGNALS_BIN (default: .build/release/goldensignals, built by `make bench-import-process`)
#
# A benchmark, not a test: figures depend on the machine and its load.
set -euo pipefail

rounds="${1:-5}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
data="$repo/../shared/data"
server="${GS_TEST_DATABASE_URL:-postgresql://goldensignals@127.0.0.1:55432/goldensignals_test}"
bin="${GOLDENSIGNALS_BIN:-$repo/.build/release/goldensignals}"
[[ -x "$bin" ]] || { echo "no goldensignals binary at $bin (swift build -c release --product goldensignals)" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql is not installed" >&2; exit 1; }

# The ten daily files of US stocks and ETFs (bestdaybtc_BTC-USD.csv, the crypto file, is left out).
files=(bluefin_AAPL.csv:AAPL bluefin_JPM.csv:JPM bluefin_MSFT.csv:MSFT bluefin_PG.csv:PG bluefin_QQQ.csv:QQQ
       bluefin_TSLA.csv:TSLA bluefin_VIV.csv:VIV mplf_yahoofinance-SPY-20080101-20180101.csv:SPY
       bt_orcl-1995-2014.txt:ORCL pta_SPY_D.csv:SPYP)

db="gs_bench_process_$$"
url="${server%/*}/$db"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gs-import-process.XXXXXX")"
chmod 755 "$tmp"
cleanup() {
    psql "$server" -qAtX -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
psql "$server" -qAtX -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null

export GS_LOG_LEVEL=error
run_ours() {
    local entry
    for entry in "${files[@]}"; do
        "$bin" import --symbol "${entry#*:}" --timeframe 1d --database-url "$url" --migrations "$repo/migrations" \
            "$data/${entry%%:*}" >/dev/null
    done
}
run_psql() {
    local entry
    for entry in "${files[@]}"; do
        psql "$url" -qX -v ON_ERROR_STOP=1 -c "\\copy plain_bars FROM '$tmp/${entry#*:}.csv' CSV" >/dev/null
    done
}
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Untimed first round: migrates, creates the symbols, and exports the stored rows as the plain CSV files
# psql loads (the same rows, as PostgreSQL prints them).
"$bin" migrate up --database-url "$url" --migrations "$repo/migrations" >/dev/null
run_ours
psql "$url" -qAtX -c "CREATE TABLE plain_bars (ts timestamptz, open float8, high float8, low float8, close float8, volume float8)"
bars=0
for entry in "${files[@]}"; do
    sym="${entry#*:}"
    psql "$url" -qX -c "\\copy (SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b JOIN symbols s ON s.id = b.symbol_id WHERE s.symbol = '$sym' AND b.timeframe = '1d' ORDER BY b.ts) TO '$tmp/$sym.csv' CSV"
    bars=$((bars + $(wc -l < "$tmp/$sym.csv")))
done

ours=() ref=()
for ((r = 1; r <= rounds; r++)); do
    psql "$url" -qAtX -c "TRUNCATE bars, quality_reports"
    t0=$(now); run_ours; t1=$(now)
    ours+=("$(echo "$t1 - $t0" | bc -l)")
    psql "$url" -qAtX -c "TRUNCATE plain_bars"
    t0=$(now); run_psql; t1=$(now)
    ref+=("$(echo "$t1 - $t0" | bc -l)")
    printf 'round %d: ours %.3f s, psql \\copy %.3f s\n' "$r" "${ours[-1]}" "${ref[-1]}"
done
o=$(printf '%s\n' "${ours[@]}" | median)
p=$(printf '%s\n' "${ref[@]}" | median)
echo
echo "import of $bars daily bars from ${#files[@]} files, one process per file (median of $rounds rounds)"
printf '  goldensignals import (parse + COPY + upsert + quality report): %.3f s  %8.0f bars/s\n' "$o" "$(echo "$bars / $o" | bc -l)"
printf '  psql \\copy into a plain table:                                %.3f s  %8.0f bars/s\n' "$p" "$(echo "$bars / $p" | bc -l)"
printf '  ratio ours/psql speed: %.2f  (target >= 0.5)\n' "$(echo "$p / $o" | bc -l)"
