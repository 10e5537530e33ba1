#!/usr/bin/env bash
# Builds the libFuzzer harness for the HTTP request parser and runs it.
#   Fuzz/run.sh [seconds] [extra libFuzzer flags...]    (default 30 s; `make test` runs 30 s)
# The parser sources are self-contained (no imports), so they are compiled straight into the
# harness with the fuzzer and address sanitizer. Crashes are written to Fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
shift || true
mkdir -p .build artifacts corpus-work
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    ../Sources/HTTPServer/Parser/*.swift FuzzParser.swift \
    -o .build/fuzz-parser
# corpus-work/ collects what the fuzzer finds; corpus/ holds the committed seeds.
exec .build/fuzz-parser corpus-work corpus \
    -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
    -dict=http.dict -artifact_prefix=artifacts/ -print_final_stats=1 "$@"
