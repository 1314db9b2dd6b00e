#!/bin/bash
# Boot an xdpq kernel in QEMU with the host's / as a read-only 9p root, run a
# command in it and hand back its output and exit status.
#
# usage: run.sh [--shell] [--timeout SECONDS] [--results DIR] BZIMAGE COMMAND...
#
# What the command writes into /run/xdpq/results in the guest ends up in
# DIR with --results.
#
# The guest has 2 vCPUs, 2 GiB (XDPQ_GUEST_MEM, in QEMU's -m syntax, sets
# another size) and two virtio-net NICs (eth0, eth1) on one QEMU hub, so
# frames eth0 transmits arrive on eth1, and a multiqueue one, eth2, where
# the host allows (see below).  It runs under KVM only when the
# CPU really has VMX/SVM and /dev/kvm opens (a PVM /dev/kvm cannot boot a
# stock kernel), otherwise under TCG (single-threaded;
# XDPQ_TCG_THREAD=multi for multi-threaded).
#
# Exit status: the command's; 124 when the guest timed out or never
# reported; 125 when the kernel logged a splat (BUG, WARNING, KASAN,
# lockdep, kmemleak report...) even though the command passed.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
shell=0
timeout=600
results=
while [ $# -gt 0 ]; do
	case "$1" in
	--shell) shell=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) break ;;
	esac
done
kernel=$1
shift

out=$(mktemp -d "$repo/build/guest.XXXXXX")
trap 'rm -rf "$out"' EXIT
printf '%s\n' "$*" >"$out/cmd"
pwd >"$out/cwd"

accel="tcg,thread=${XDPQ_TCG_THREAD:-single}"
cpu=max
# XDPQ_ICOUNT=1: TCG counts instructions instead of following the host's
# clock (-icount shift=0: 1 ns per instruction), so that a loaded host
# does not delay the guest's timer interrupts; `make bench` uses it.
icount=()
[ "${XDPQ_ICOUNT:-0}" = 1 ] && icount=(-icount shift=0,sleep=off)
# XDPQ_QEMU_PLUGIN=LIB,ARGS loads a TCG plugin (`make bench-profile`).
plugin=()
[ -n "${XDPQ_QEMU_PLUGIN:-}" ] && plugin=(-plugin "$XDPQ_QEMU_PLUGIN")
if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	accel=kvm
	icount=()
	cpu=host
fi

append="console=ttyS0 root=/dev/root rootfstype=9p ro"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose"
append+=" init=$repo/harness/guest/init.sh panic=-1 net.ifnames=0"
[ $shell -eq 1 ] && append+=" xdpq.shell" || append+=" quiet"
# Under TCG both vCPUs share one host thread; on a busy host a debug
# kernel's stop_machine() at boot has taken longer than RCU's 21 s stall
# timeout. That is the emulator, not a stalled kernel: wait longer.
[ "$accel" = kvm ] || append+=" rcupdate.rcu_cpu_stall_timeout=120"

qemu=(qemu-system-x86_64 -accel "$accel" "${icount[@]}" "${plugin[@]}" -cpu "$cpu" -smp 2 -m "${XDPQ_GUEST_MEM:-2G}"
	-kernel "$kernel" -append "$append" -no-reboot -display none
	-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev "local,id=out,path=$out,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=out,mount_tag=xdpqout
	-netdev hubport,id=hub0,hubid=0
	-device virtio-net-pci,netdev=hub0,mac=52:54:00:12:34:01
	-netdev hubport,id=hub1,hubid=0
	-device virtio-net-pci,netdev=hub1,mac=52:54:00:12:34:02)
# eth2, where the host lets us create a tap: a virtio-net NIC with 4 queue
# pairs, enough for its driver to give XDP a send queue per CPU of its own
# (what a hub port's single queue pair cannot show). QEMU creates the tap
# and it goes when QEMU exits; it stays down, so what eth2 sends is
# dropped on the host. Tests that need eth2 skip without it.
tap=xdpq$$
if ip tuntap add dev "$tap" mode tap multi_queue 2>/dev/null; then
	ip tuntap del dev "$tap" mode tap multi_queue
	qemu+=(-netdev "tap,id=mq,ifname=$tap,script=no,downscript=no,queues=4"
		-device virtio-net-pci,netdev=mq,mq=on,vectors=10,mac=52:54:00:12:34:03)
fi

if [ $shell -eq 1 ]; then
	"${qemu[@]}" -serial mon:stdio
	exit 0
fi

timeout -k 5 "$timeout" "${qemu[@]}" -serial "file:$out/console" -monitor none </dev/null \
	2> >(grep -v "is not connected to host network" >&2)
qrc=$?

if [ ! -f "$out/rc" ]; then
	[ $qrc -eq 124 ] && why="timed out after ${timeout}s" || why="qemu exited with $qrc"
	echo "xdpq: the guest never reported ($why); console tail:" >&2
	tail -n 80 "$out/console" >&2
	exit 124
fi
# The command's output already reached the console; print it from the
# share, which holds exactly what the command wrote.
cat "$out/output"
rc=$(cat "$out/rc")
if [ -n "$results" ] && [ -d "$out/results" ]; then
	rm -rf "$results"
	cp -r "$out/results" "$results"
fi

splat='BUG:|WARNING:|Oops|Kernel panic|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|general protection fault|Call Trace:'
if grep -aEq "$splat" "$out/dmesg"; then
	echo "xdpq: the guest kernel logged a splat:" >&2
	grep -aE -B2 -A20 "$splat" "$out/dmesg" | head -n 60 >&2
	[ "$rc" -eq 0 ] && rc=125
fi
if [ -s "$out/kmemleak" ]; then
	echo "xdpq: kmemleak reports leaks:" >&2
	head -n 60 "$out/kmemleak" >&2
	[ "$rc" -eq 0 ] && rc=125
fi
exit "$rc"
