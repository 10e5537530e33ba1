#!/usr/bin/env bash
# Prints one closing line for the whole `make test` run from the Swift Testing output in LOG,
# then exits with STATUS (the status of the run itself).
#   scripts/test-summary.sh LOG STATUS
log="$1"; status="${2:-0}"
total=0
while IFS= read -r n; do total=$((total + n)); done \
  < <(grep -aoE "Test run with [0-9]+ tests?" "$log" 2>/dev/null | grep -oE "[0-9]+")
failed=$(grep -aE "^✘ Test .* failed after [0-9.]+ seconds" "$log" 2>/dev/null | grep -avc "Test run with")
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "tests: $((total - failed)) passed, $failed failed"
exit "$status"
