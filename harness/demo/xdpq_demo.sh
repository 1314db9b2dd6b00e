#!/bin/bash
# `make run`, inside the guest: a hypervisor that shapes its VMs' traffic
# with xdpq. eth1 plays the outside world: a generator sends frames over
# the QEMU hub to eth0, the uplink, where xdpq_shape classifies them by
# destination MAC into three VMs, each a tap read by xdpq_demo_sink at the
# VM's own speed.
#
#   shaped   VM rates 4, 2 and 4 Mbit/s; every VM offered 1.5x its rate or
#            more; vm1 also gets a priority flow (DSCP EF); vm3 stops
#            reading for 5 s and recovers.
#   equal    three VMs at 4 Mbit/s each: Jain's fairness index.
#   devmap   vm1's traffic through a plain devmap instead: the priority
#            flow's latency without a scheduler.
#
# usage: xdpq_demo.sh DEMO_BIN_DIR SAMPLES_BIN_DIR
set -eu
bin=$1
samples=$2
res=/run/xdpq/results
secs=${XDPQ_DEMO_SECONDS:-20}
mkdir -p "$res"

vm1=02:00:00:00:10:01
vm2=02:00:00:00:10:02
vm3=02:00:00:00:10:03
len=500				# bytes per frame: 4 Mbit/s = 1000 frames/s

ip link set eth0 up
ip link set eth1 up
ip link set eth0 promisc on	# the hub delivers by MAC; the VMs' are not eth0's

# taps NAME...: the VMs' taps, made before xdpq_shape attaches to them,
# so that their sinks, and with them the report's clock, start only once
# the tool shapes
taps() {
	local name

	for name in "$@"; do
		ip tuntap add dev "tap_$name" mode tap
		ip link set "tap_$name" up
	done
}

untaps() {
	local name

	for name in "$@"; do
		ip tuntap del dev "tap_$name" mode tap
	done
}

# sink NAME SECONDS PPS [STALL_FROM STALL_TO]: a VM reading its tap, the
# one of taps or a new one; returns once it has attached to the tap
sink() {
	local name=$1
	shift
	"$bin/xdpq_demo_sink" "tap_$name" "$1" "$2" "$res/$phase.$name" "${@:3}" \
		>>"$res/$phase.sinks" &
	for _ in $(seq 50); do
		ip link set "tap_$name" up 2>/dev/null &&
			[ "$(cat "/sys/class/net/tap_$name/carrier")" = 1 ] && return
		sleep 0.1
	done
	echo "tap_$name: xdpq_demo_sink did not attach within 5 s" >&2
	exit 1
}

# shape SECONDS: xdpq_shape on eth0 for $phase.conf; returns once it has
# printed its first statistics, after setting up both directions (loading
# two schedulers takes seconds on a busy TCG guest)
shape() {
	local out="$res/$phase.json" pid end=$((SECONDS + 30))

	"$samples/xdpq_shape" -j -d "$1" -c "$res/$phase.conf" eth0 >"$out" &
	pid=$!
	until [ -s "$out" ]; do
		if ! kill -0 $pid 2>/dev/null; then
			echo "xdpq_shape exited before its first statistics" >&2
			exit 1
		fi
		if [ $SECONDS -ge $end ]; then
			echo "xdpq_shape printed no statistics within 30 s" >&2
			kill $pid
			exit 1
		fi
		sleep 0.1
	done
}

# gen SECONDS STREAM...: the outside world, from eth1
gen() {
	"$bin/xdpq_demo_gen" eth1 "$@" >"$res/$phase.gen"
}

echo "xdpq demo on $(uname -r), TCG guest: uplink eth0, three VMs behind taps"

phase=shaped
echo "== $phase: $secs s, rates 4/2/4 Mbit/s, vm3 stalls from 6 to 11 s"
taps vm1 vm2 vm3
cat >"$res/$phase.conf" <<EOF
vm vm1 mac $vm1 dev tap_vm1 rate 4m
vm vm2 mac $vm2 dev tap_vm2 rate 2m
vm vm3 mac $vm3 dev tap_vm3 rate 4m
EOF
shape $((secs + 2))
sink vm1 $((secs + 2)) 1200
sink vm2 $((secs + 2)) 3000
sink vm3 $((secs + 2)) 3000 6 11
gen "$secs" "$vm1,1500,0,$len" "$vm1,50,46,$len" "$vm2,1500,0,$len" "$vm3,1500,0,$len"
wait
untaps vm1 vm2 vm3

phase=equal
echo "== $phase: 10 s, three VMs at 4 Mbit/s"
taps vm1 vm2 vm3
cat >"$res/$phase.conf" <<EOF
vm vm1 mac $vm1 dev tap_vm1 rate 4m
vm vm2 mac $vm2 dev tap_vm2 rate 4m
vm vm3 mac $vm3 dev tap_vm3 rate 4m
EOF
shape 12
for vm in vm1 vm2 vm3; do sink $vm 12 3000; done
gen 10 "$vm1,1500,0,$len" "$vm2,1500,0,$len" "$vm3,1500,0,$len"
wait
untaps vm1 vm2 vm3

phase=devmap
echo "== $phase: 10 s, vm1's traffic through a plain devmap"
sink vm1 12 1200
"$bin/xdpq_demo_devmap" eth0 11 "$vm1=tap_vm1" &
sleep 1
gen 10 "$vm1,1500,0,$len" "$vm1,50,46,$len"
wait

python3 "$bin/xdpq_demo_report.py" "$res" "$secs"
