#!/bin/bash
# `make bench-profile`, inside the guest: each case of xdpq_bench run twice,
# with N and 2N measured frames, between runs of the marker, so that the
# plugin's dumps hold the instructions of each run. The difference of the
# two runs of a case is what N more frames cost; the setup, the standing
# queue and the warm-up cancel out. The kernel's symbols go to the results,
# and those of the BPF programs of each run (bpfsyms.0 for the first).
#
# usage: xdpq_profile.sh BENCH_DIR MARK FRAMES CASE...
#        (CASE as xdpq_bench -m takes it, e.g. veth/fifo_64k)
set -eu
bin=$1 mark=$2 n=$3
shift 3
res=/run/xdpq/results
mkdir -p "$res"

ip link add xb_src type veth peer name xb_dst
ip link set xb_src up
ip link set xb_dst up
cat /proc/kallsyms >"$res/kallsyms"

"$mark"
run=0
for c in "$@"; do
	for frames in $n $((2 * n)); do
		"$bin/xdpq_bench" -c 0 -r 1 -n "$frames" -m "$c" \
			-k "$res/bpfsyms.$run" veth:xb_src:xb_dst
		"$mark"
		run=$((run + 1))
	done
done
printf '%s\n' "$@" >"$res/cases"
echo "$n" >"$res/frames"
