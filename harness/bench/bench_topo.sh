#!/bin/bash
# The three VM topologies of XDP forwarding for VMs, with and without
# xdpq, in the second guest of `make bench`, whose vCPUs run in parallel
# (multi-threaded TCG, or KVM): with icount's single thread they take
# turns, each until its next timer deadline, and the timer wakeups that
# cross between the VMs' and the NICs' CPUs wait for those turns.
#
# usage: bench_topo.sh BUILD_DIR RESULTS_DIR
#
# In this one guest, eth1 is the hypervisor's NIC (the port) and eth0,
# at the other end of the QEMU hub, is the outside world: the traffic
# source and sink. A VM is a tap (bt_vma, bt_vmb) and a thread of
# bench_topo_run on it, on a CPU of its own (VM A on CPU 0, VM B on CPU
# 1), which reads every frame and, as a VM forwarding traffic would,
# writes it back; a frame a VM writes runs through XDP on its tap. Every
# hop between two devices is one XDP redirect:
#
#   pvp   port-virtual-port: eth0 sends 64-byte frames, eth1 receives
#         them, eth1 -> bt_vma, VM A sends each back, bt_vma -> eth1, and
#         eth0 counts what eth1 sends back.
#   pvvp  port-virtual-virtual-port: the same through two VMs, eth1 ->
#         bt_vma, VM A, bt_vma -> bt_vmb, VM B, bt_vmb -> eth1.
#   vv    virtual-virtual: VM A writes 64-byte frames as fast as it can,
#         bt_vma -> bt_vmb, and VM B counts what it reads.
#
#   devmap  each hop a devmap redirect (topo_fwd, bench_topo_kern.bpf.c),
#           as XDP forwards without xdpq;
#   xdpq    each hop a FIFO queue map emptied by a bpf_timer into the next
#           device, an instance of samples/bpf/xdpq_fifo_fwd.bpf.c.
#
# eth0's source is BPF_PROG_RUN in live-frames mode (batch 64) running
# topo_wire, which redirects every frame out of eth0; attached to eth0, it
# counts and drops what comes back. The source runs flat out, so each
# topology is offered more than it can forward and delivers its capacity,
# bounded here by the VMs' read() and write() of each frame; under TCG the
# source, the NICs' emulation and the VMs share the guest's two vCPUs, so
# pvp and pvvp deliver far less than vv, whose source is VM A itself.
#
# Each run gets fresh taps, and xdpq runs before devmap on eth1: a device's
# XDP TX limit keeps a cap learnt when its ring overflowed, which does not
# decay, and a devmap run overflows rings. After each run the script logs
# the XDP TX limits of the devices (limit, blocked, wakeups, ring_full).
#
# Each topology and mode is repeated three times: 0.5 s of warm-up, then a
# 2 s window. mpps: the frames per second arriving at the end of the path
# (eth0, or VM B for vv) over the window; drops: the frames that entered
# the path in the repetition (received by eth1, or written by VM A) and
# never arrived at its end.
#
# Rows "topo_TOPO,MODE,REP,METRIC,VALUE" are appended to
# RESULTS_DIR/bench.csv only when every run succeeded; a failed setup
# exits non-zero.
set -euo pipefail

bin=$1
res=$2
reps=3
taps=(bt_vma bt_vmb)
csv=$res/bench.csv
rows=$(mktemp)

cleanup() {
	local rc=$? tap
	for tap in "${taps[@]}"; do
		ip link del "$tap" 2>/dev/null || true
	done
	ip link set eth0 promisc off 2>/dev/null || true
	rm -f "$rows"
	[ $rc -eq 0 ] || echo "bench_topo: failed (exit $rc); no rows written" >&2
}
trap cleanup EXIT

# Fresh taps for every run: what a run leaves in a tap's XDP TX limit (a
# ring cap learnt when its ring overflowed, which does not decay) must not
# hold back the next.
new_taps() {
	local tap
	for tap in "${taps[@]}"; do
		ip link del "$tap" 2>/dev/null || true
		ip tuntap add dev "$tap" mode tap
		sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
		ip link set "$tap" up
	done
}

# The XDP TX limits the run left on the devices frames were sent to, for
# the log: sysfs xdp_tx_limit/, see Documentation/networking/xdp_tx_limit.rst.
show_limits() {
	local dev f line
	for dev in eth0 eth1 "${taps[@]}"; do
		line=
		for f in limit blocked wakeups ring_full; do
			line+=" $f $(cat "/sys/class/net/$dev/xdp_tx_limit/$f")"
		done
		echo "   $dev xdp_tx_limit:$line"
	done
}

[ -x "$bin/bench_topo_run" ] || { echo "bench_topo: $bin/bench_topo_run not built" >&2; exit 1; }
mkdir -p "$res"
ip link set eth0 up
ip link set eth1 up
# eth1 sends the frames back with eth1's own MAC as destination.
ip link set eth0 promisc on
for topo in pvp pvvp vv; do
	for mode in xdpq devmap; do
		echo "== topo_$topo: $mode, $reps repetitions"
		new_taps
		"$bin/bench_topo_run" -T "$topo" -m "$mode" -n "$reps" eth0 eth1 "${taps[@]}" |
			tee -a "$rows"
		show_limits
	done
done

[ -f "$csv" ] || echo "section,case,rep,metric,value" >"$csv"
cat "$rows" >>"$csv"
