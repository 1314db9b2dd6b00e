#!/bin/bash
# The same shaping policy done two ways, in the guest of `make bench`.
#
# usage: bench_shaping.sh BUILD_DIR RESULTS_DIR
#
# Policy: three VMs, each limited to a rate (the same for all here, with a
# burst of 10 ms at the rate), and the flows inside a VM sharing its rate
# fairly; four UDP flows per VM, whose ports bench_shaping_run picks so
# that they hash to distinct sub-queues of xdpq_hier. Topology, in a network
# namespace of its own: an uplink veth (upl0) where the traffic enters,
# and per VM a veth pair whose host side vmN is the VM-side device and
# whose peer vmNp is the VM. XDP on each vmNp counts the frames the VM
# receives and drops them (shaping_count in bench_shaping_kern.bpf.c).
#
#   htb_fq_codel  what an operator runs today: upl0 and the vmN in a Linux
#                 bridge with a static FDB entry per VM MAC, and on each
#                 vmN's egress an HTB root with one class at the VM's rate
#                 and an fq_codel leaf. TSO is off on the vmN so that veth
#                 hands its skbs to the peer's XDP program.
#   xdpq          samples/bpf/xdpq_hier.bpf.c (per-VM token bucket, DRR
#                 among the VM's flows), as xdpq_shape runs it: it
#                 classifies by destination MAC, queues and sends each VM's
#                 frames to its vmN with xdp_packet_send().
#
#   devmap_unshaped  a reference, no policy: the source redirects each
#                 frame straight to its VM's vmN through a devmap, as XDP
#                 forwards without xdpq. It bounds what any XDP shaper can
#                 reach in this guest.
#
# Offered load, the same for all: one source, bench_shaping_run's
# BPF_PROG_RUN in live-frames mode (64-byte frames, batch 64) as if
# received on upl0, one call per repetition, round robin over the 12
# flows frame by frame. Its program hands each frame to xdpq_hier (or the
# devmap) by a tail call, or, for HTB, returns XDP_PASS, which sends it
# up upl0's stack as an skb. The source runs flat out on one CPU and the
# setups forward on the same CPU, so what they deliver is their capacity.
# The skb path runs each batch through the bridge and HTB before the
# source makes the next, so it never drops; xdpq's timer empties the
# queues between the source's batches, and frames beyond a VM's share of
# the queue are dropped at enqueue: their cost counts against xdpq.
#
# Two measurements per setup, each repeated three times:
#
#   capacity  every VM limited to 10 Gbit/s, far above what any setup
#             can forward here, so that the shaping machinery (queueing,
#             token buckets, fair queueing), not the limit, bounds the
#             rate. Metrics over a 2 s window after 0.5 s of warm-up:
#             kpps, the frames per second all VMs received together;
#             cpu_ns_per_pkt, the busy time of all CPUs (/proc/stat,
#             source included) per frame received; drops, the frames
#             offered in the repetition that no VM received.
#   accuracy  (HTB and xdpq) every VM limited to 10000 frames/s of 64
#             bytes (5.12 Mbit/s), far below both setups' capacity:
#             rate_error_pct, the largest deviation of a VM's received
#             rate from its limit, and flow_jain, the lowest Jain's index
#             of a VM's flows, over the same window.
#
# The issue's target is xdpq at least 3x the kpps of HTB + fq_codel. Under
# TCG only ratios within one run mean anything. Rows
# "shaping,CASE,REP,METRIC,VALUE" are appended to RESULTS_DIR/bench.csv
# only when every step succeeded; a failed setup exits non-zero.
set -euo pipefail

bin=$1
res=$2
reps=3
vms=3
cap_rate=10000000000			# bit/s per VM
lim_rate=$((10000 * 64 * 8))		# bit/s per VM: 10000 frames/s
ns=bench_shaping
csv=$res/bench.csv
rows=$(mktemp)
made_ns=

die() {
	echo "bench_shaping: $*" >&2
	exit 1
}

cleanup() {
	local rc=$?
	[ -z "$made_ns" ] || ip netns del "$ns" || true
	rm -f "$rows"
	[ $rc -eq 0 ] || echo "bench_shaping: failed (exit $rc); no rows written" >&2
}
trap cleanup EXIT

nsx() {
	ip netns exec "$ns" "$@"
}

# A VM's burst: 10 ms at its rate, at least two full-size frames, as
# xdpq_shape chooses it; HTB gets the same.
burst() {
	local b=$(($1 / 8 / 100))
	echo $((b > 3028 ? b : 3028))
}

vm_args() {
	local i
	for i in $(seq "$vms"); do
		printf 'vm%d:vm%dp ' "$i" "$i"
	done
}

# run MODE CASE RATE [-a]: one case of bench_shaping_run, its rows kept.
run() {
	local mode=$1 name=$2 rate=$3
	shift 3
	echo "== $name: $mode, $vms VMs at $rate bit/s each, $reps repetitions"
	# shellcheck disable=SC2046
	nsx "$bin/bench_shaping_run" -m "$mode" -c "$name" -r "$rate" -b "$(burst "$rate")" \
		-n "$reps" "$@" upl0 $(vm_args) | tee -a "$rows"
}

# The XDP TX limits of the VMs' devices, for the log (sysfs xdp_tx_limit/,
# see Documentation/networking/xdp_tx_limit.rst).
show_limits() {
	local i f line
	for i in $(seq "$vms"); do
		line=
		for f in limit blocked wakeups ring_full; do
			line+=" $f $(nsx cat "/sys/class/net/vm$i/xdp_tx_limit/$f")"
		done
		echo "   vm$i xdp_tx_limit:$line"
	done
}

htb_rate() {	# htb_rate RATE: set every VM's class to RATE bit/s
	local i b
	b=$(burst "$1")
	for i in $(seq "$vms"); do
		nsx tc class replace dev "vm$i" parent 1: classid 1:1 htb rate "$1" ceil "$1" \
			burst "$b" cburst "$b" quantum 1514
	done
}

setup_links() {
	local i
	ip netns add "$ns"
	made_ns=1
	nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	nsx ip link set lo up
	nsx ip link add upl0 type veth peer name upl1
	nsx ip link set upl1 up
	nsx ip link set upl0 up
	for i in $(seq "$vms"); do
		nsx ip link add "vm$i" type veth peer name "vm${i}p"
		nsx ethtool -K "vm$i" tso off >/dev/null
		nsx ip link set "vm${i}p" up
		nsx ip link set "vm$i" up
	done
}

setup_htb() {
	local i
	nsx ip link add br0 type bridge forward_delay 0 stp_state 0
	nsx ip link set upl0 master br0
	for i in $(seq "$vms"); do
		nsx ip link set "vm$i" master br0
		nsx bridge fdb add "02:00:00:00:10:0$i" dev "vm$i" master static
		nsx tc qdisc add dev "vm$i" root handle 1: htb default 1
		nsx tc class add dev "vm$i" parent 1: classid 1:1 htb rate "$cap_rate" quantum 1514
		nsx tc qdisc add dev "vm$i" parent 1:1 handle 10: fq_codel
	done
	nsx ip link set br0 up
}

teardown_htb() {
	local i
	for i in $(seq "$vms"); do
		nsx tc qdisc del dev "vm$i" root
	done
	nsx ip link del br0
}

[ -x "$bin/bench_shaping_run" ] || die "$bin/bench_shaping_run not built"
mkdir -p "$res"
setup_links

setup_htb
htb_rate "$cap_rate"
run htb htb_fq_codel "$cap_rate"
htb_rate "$lim_rate"
run htb htb_fq_codel "$lim_rate" -a
teardown_htb

run xdpq xdpq "$cap_rate"
show_limits
run xdpq xdpq "$lim_rate" -a
run devmap devmap_unshaped "$cap_rate"

[ -f "$csv" ] || echo "section,case,rep,metric,value" >"$csv"
cat "$rows" >>"$csv"
