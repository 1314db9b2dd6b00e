#!/bin/bash
# PID 1 of the xdpq test guest.  The host's / is the read-only 9p root; this
# makes the writable places tmpfs, mounts the pseudo filesystems BPF tests
# need, runs the command the host left in the "xdpqout" share, hands back
# its output, exit status, dmesg (and a kmemleak report on debug kernels),
# and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
# The writable places are tmpfs; a repo that lives under one of them (a CI
# clone in /tmp) is bound back in from the host's tree.
repo=$(cd "$(dirname "$0")/../.." && pwd)
for d in /tmp /var/tmp /var/log /root /dev/shm /mnt; do
	case "$repo/" in
	"$d"/*)
		mkdir -p "/run/host$d"
		mount --bind "$d" "/run/host$d"
		mount -t tmpfs tmpfs "$d"
		mkdir -p "$repo"
		mount --bind "/run/host$repo" "$repo"
		;;
	*)
		mount -t tmpfs tmpfs "$d"
		;;
	esac
done
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/netns /run/xdpq
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 xdpqout /run/xdpq
ip link set lo up
hostname xdpq-guest

out=/run/xdpq
uname -r >"$out/uname"

if grep -qw xdpq.shell /proc/cmdline; then
	echo "xdpq guest: $(uname -r); 'poweroff' or Ctrl-D leaves"
	cd "$(cat "$out/cwd" 2>/dev/null || echo /)"
	setsid bash -c 'exec bash -i <>/dev/ttyS0 >&0 2>&1'
else
	cd "$(cat "$out/cwd")"
	set -o pipefail
	bash "$out/cmd" 2>&1 | tee "$out/output"
	echo "${PIPESTATUS[0]}" >"$out/rc.tmp"
fi

if [ -w /sys/kernel/debug/kmemleak ]; then
	# Two scans: kmemleak reports an object only once it stayed unreferenced
	# across a scan.
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$out/kmemleak"
fi
dmesg >"$out/dmesg"
[ -f "$out/rc.tmp" ] && mv "$out/rc.tmp" "$out/rc"
sync
echo o >/proc/sysrq-trigger
sleep 10
