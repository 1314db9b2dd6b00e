#!/bin/bash
# `make bench-profile`, inside the guest: each case of xdpq_bench run once,
# with -p, so that the plugin dumps its counts at the two marks xdpq_bench
# sets inside the offer: the counts between them are the steady state of
# the case. xdpq_bench notes the frames that arrived and the guest time
# between the marks (window), the kernel's symbols go to the results, and
# those of the BPF programs of each case (bpfsyms.0 for the first).
#
# usage: xdpq_profile.sh BENCH_DIR FRAMES CASE...
#        (CASE as xdpq_bench -m takes it, e.g. veth/fifo_64k)
set -eu
bin=$1 n=$2
shift 2
res=/run/xdpq/results
mkdir -p "$res"

# No IPv6 on the pair, as in xdpq_bench.sh
ip link add xb_src type veth peer name xb_dst
sysctl -qw net.ipv6.conf.xb_src.disable_ipv6=1 net.ipv6.conf.xb_dst.disable_ipv6=1
ip link set xb_src up
ip link set xb_dst up
cat /proc/kallsyms >"$res/kallsyms"

run=0
for c in "$@"; do
	"$bin/xdpq_bench" -c 0 -r 1 -n "$n" -m "$c" -k "$res/bpfsyms.$run" \
		-p "$res/window" veth:xb_src:xb_dst
	run=$((run + 1))
	# One case, one window: bpfsyms.K and dumps 2K, 2K + 1 are case K's
	if [ "$(wc -l <"$res/window")" -ne $run ]; then
		echo "xdpq_profile: $c is not one case of xdpq_bench" >&2
		exit 1
	fi
done
