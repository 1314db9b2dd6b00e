#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run each fuzzer for SECONDS on its corpus, DIR/NAME/corpus, which is
# kept between runs; stop at the first that fails, showing the end of its
# log and the input that made it fail.
#
# usage: xdpq_fuzz.sh SECONDS DIR FUZZER...
set -uo pipefail

secs=$1 dir=$2
shift 2

# Deterministic pseudo-random inputs (the ZX81's generator) for an empty
# corpus: every byte string is a valid sequence of operations.
seed_corpus() {
	local n
	for n in 16 256 4096; do
		LC_ALL=C awk -v n="$n" 'BEGIN {
			for (i = 0; i < n; i++) {
				s = (s * 75 + 74) % 65537
				printf "%c", s % 256
			}
		}' >"$1/seed-$n"
	done
}

for fuzzer in "$@"; do
	name=${fuzzer#xdpq_fuzz_}
	out=$dir/$name
	mkdir -p "$out/corpus"
	[ -n "$(ls -A "$out/corpus")" ] || seed_corpus "$out/corpus"
	rm -f "$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-*
	if ! UBSAN_OPTIONS=print_stacktrace=1 ./"$fuzzer" \
		-max_total_time="$secs" -timeout=30 -print_final_stats=1 \
		-artifact_prefix="$out/" "$out/corpus" >"$out/log" 2>&1; then
		tail -n 30 "$out/log"
		echo "xdpq fuzz $name: FAIL, log $out/log, input: $(ls "$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-* 2>/dev/null)"
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
	cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -n 1)
	echo "xdpq fuzz $name: PASS, $runs inputs in ${secs}s, $cov, corpus $(ls "$out/corpus" | wc -l)"
done
