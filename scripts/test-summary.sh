#!/usr/bin/env bash
# Prints the closing lines of a whole `make test` run: the Swift Testing failures found in LOG, each failed
# part of the run (FAILED_PARTS, space-separated make targets) with the end of its own output
# (.build/parts/PART.log), then one count line. Everything that names a failure comes last, so the tail of
# a CI log says what broke. Exits with STATUS (the status of the run itself).
#   scripts/test-summary.sh LOG STATUS [FAILED_PARTS]
log="$1"; status="${2:-0}"; parts="${3:-}"
total=0
while IFS= read -r n; do total=$((total + n)); done \
  < <(grep -aoE "Test run with [0-9]+ tests?" "$log" 2>/dev/null | grep -oE "[0-9]+")
failures=$(grep -aE "^✘ Test .* failed after [0-9.]+ seconds" "$log" 2>/dev/null | grep -av "Test run with")
failed=$(printf '%s' "$failures" | grep -ac "✘" || true)
if [ -n "$failures" ]; then
  echo "failed tests:"
  printf '%s\n' "$failures" | sed -E 's/^✘ Test ([^ ]+).*/  \1/' | head -20
  # The first recorded issue of each failed test, with its file and line.
  grep -aE "^✘ Test .* recorded an issue at " "$log" | awk '!seen[$3]++' | cut -c1-300 | head -10
fi
for p in $parts; do
  echo "failed part: $p (make $p); the end of its output:"
  tail -n 12 ".build/parts/$p.log" 2>/dev/null | cut -c1-300 | sed 's/^/  | /'
done
# Parts that are not Swift Testing runs (the spec checks, schemathesis, fuzz) count one failure each.
extra=0
for p in $parts; do case "$p" in test-swift|test-replica|test-restart|test-browser) ;; *) extra=$((extra + 1)) ;; esac; done
if [ "$status" != 0 ] && [ "$failed" = 0 ] && [ "$extra" = 0 ]; then extra=1; fi
echo "tests: $((total - failed)) passed, $((failed + extra)) failed"
exit "$status"
