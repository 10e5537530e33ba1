#!/usr/bin/env bash
# Builds the libFuzzer harnesses and runs each in turn:
#   parser — the HTTP/1.1 request parser (Sources/HTTPServer/Parser), compiled straight into the harness
#            (its sources are self-contained);
#   csv    — the OHLCV CSV reader every upload and file import goes through (the Market and Primitives
#            modules, compiled with the fuzzer and address sanitizer);
#   json   — the checks every JSON body gets before Foundation parses it (JSONScan: the bar cap, NUL),
#            against what JSONSerialization makes of the same bytes.
#   Fuzz/run.sh [seconds] [target...] [libFuzzer flags...]    (default 30 s each, every target)
# Crashes are written to Fuzz/artifacts/<target>-…; corpus-work/<target>/ collects what the fuzzer finds
# and corpus/<target>/ holds the committed seeds.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
shift || true
targets=() extra=()
for a in "$@"; do if [[ "$a" == -* ]]; then extra+=("$a"); else targets+=("$a"); fi; done
[ ${#targets[@]} -gt 0 ] || targets=(parser csv json)
flags=(-sanitize=fuzzer,address -parse-as-library -O -g)
mkdir -p .build/modules artifacts

# A module compiled with the sanitizers into one object: module name, then its sources.
module() {
    local name="$1"; shift
    swiftc "${flags[@]}" -wmo -c -module-name "$name" -I .build/modules \
        -emit-module -emit-module-path ".build/modules/$name.swiftmodule" "$@" -o ".build/$name.o"
}

build() {
    case "$1" in
    parser)
        swiftc "${flags[@]}" ../Sources/HTTPServer/Parser/*.swift FuzzParser.swift -o .build/fuzz-parser ;;
    csv)
        module Primitives ../Sources/Primitives/*.swift
        module Market $(find ../Sources/Market -name '*.swift' | sort)
        swiftc "${flags[@]}" -I .build/modules FuzzCSV.swift .build/Primitives.o .build/Market.o -o .build/fuzz-csv ;;
    json)
        swiftc "${flags[@]}" ../Sources/GoldenSignals/API/JSONScan.swift FuzzJSON.swift -o .build/fuzz-json ;;
    *) echo "unknown fuzz target $1" >&2; exit 2 ;;
    esac
}

run() {
    local target="$1" dict=()
    [ -f "$target.dict" ] && dict=(-dict="$target.dict")
    mkdir -p "corpus-work/$target"
    echo "== fuzz $target for ${seconds}s"
    ".build/fuzz-$target" "corpus-work/$target" "corpus/$target" \
        -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
        "${dict[@]}" -artifact_prefix="artifacts/$target-" -print_final_stats=1 "${extra[@]}"
}

for t in "${targets[@]}"; do build "$t"; done
for t in "${targets[@]}"; do run "$t"; done
