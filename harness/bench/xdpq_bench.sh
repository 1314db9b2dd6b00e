#!/bin/bash
# `make bench`, inside the guest: what queueing costs on XDP's forwarding
# path, then the other parts of the benchmark.
#
#   xdpq_bench        devmap redirect against the FIFO, PIFO and rbtree
#                     queue maps with timer dequeue, into a veth pair and
#                     into virtio-net (eth0 over the QEMU hub to eth1), and
#                     the scaling series on veth (see xdpq_bench.c).
#   bench_shaping.sh  HTB + fq_codel against xdpq shaping, when present,
#                     called as SCRIPT BENCH_DIR RESULTS_DIR.
#
# The VM topologies (bench_topo.sh) run in a guest of their own, whose
# vCPUs run in parallel (see the Makefile).
#
# Every part appends section,case,rep,metric,value rows to
# RESULTS_DIR/bench.csv. XDPQ_BENCH_FRAMES and XDPQ_BENCH_ROUNDS override
# the frames per measured run and the rounds; XDPQ_BENCH_MATCH runs only
# the xdpq_bench cases whose SECTION/CASE matches the glob.
#
# usage: xdpq_bench.sh BENCH_DIR
set -eu
bin=$1
res=/run/xdpq/results
csv=$res/bench.csv
mkdir -p "$res"
echo "section,case,rep,metric,value" >"$csv"

echo "xdpq bench on $(uname -r): $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' \
	/proc/meminfo) MiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"

# No IPv6 on the bench's links: the stack's router and neighbour
# solicitations through xb_src schedule the veth peer's NAPI on the CPU
# that sent them, and under TCG a NAPI polled on CPU 1 can leave the
# frames CPU 0 sends in its ring for milliseconds, long enough for the
# queue maps to overflow.
ip link add xb_src type veth peer name xb_dst
sysctl -qw net.ipv6.conf.xb_src.disable_ipv6=1 net.ipv6.conf.xb_dst.disable_ipv6=1
ip link set xb_src up
ip link set xb_dst up
sections=veth:xb_src:xb_dst
if [ -e /sys/class/net/eth0 ] && [ -e /sys/class/net/eth1 ]; then
	ip link set eth0 up
	ip link set eth1 up
	sections+=" virtio:eth0:eth1"
fi

# The offered load, the timer and veth's receive all run on CPU 0: the
# cost per frame is the CPU time of the whole path.
echo "== xdpq_bench: frames offered from CPU 0"
failed=
"$bin/xdpq_bench" -c 0 -o "$csv" ${XDPQ_BENCH_FRAMES:+-n "$XDPQ_BENCH_FRAMES"} \
	${XDPQ_BENCH_ROUNDS:+-r "$XDPQ_BENCH_ROUNDS"} -m "${XDPQ_BENCH_MATCH:-*}" $sections ||
	failed+=" xdpq_bench"
ip link del xb_src

if [ -x "$bin/bench_shaping.sh" ]; then
	echo "== bench_shaping.sh"
	"$bin/bench_shaping.sh" "$bin" "$res" || failed+=" bench_shaping.sh"
fi
if [ -n "$failed" ]; then
	echo "xdpq bench: failed:$failed"
	exit 1
fi
