#!/bin/bash
# Boot the kernel, run the lean test_progs in the guest and end with the
# plain summary line `N passed, N failed, N skipped`.  Exits non-zero on any
# failed test, a splat, or a guest that never reported.
#
# usage: check.sh BZIMAGE SELFTESTS_OUTPUT [TEST_PROGS_ARGS...]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel=$1 out=$(cd "$2" && pwd)
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT

"$here/../guest/run.sh" --timeout "${XDPQ_TIMEOUT:-1200}" "$kernel" \
	"$here/run-in-guest.sh" "$out" "$@" | tee "$log"
rc=${PIPESTATUS[0]}

# test_progs: "Summary: <tests>/<subtests> PASSED, <n> SKIPPED, <n> FAILED"
summary=$(grep -a '^Summary: ' "$log" | tail -n1)
if [[ $summary =~ ^Summary:\ ([0-9]+)/[0-9]+\ PASSED,\ ([0-9]+)\ SKIPPED,\ ([0-9]+)\ FAILED ]]; then
	passed=${BASH_REMATCH[1]} skipped=${BASH_REMATCH[2]} failed=${BASH_REMATCH[3]}
else
	passed=0 skipped=0 failed=1
	echo "xdpq: test_progs printed no summary" >&2
fi
[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
