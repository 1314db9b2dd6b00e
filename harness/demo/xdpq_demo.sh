#!/bin/bash
# `make run`, inside the guest: XDP forwarding between the two virtio-net
# NICs on the QEMU hub, with the rate and the drop count, today through a
# plain devmap (nothing queues or paces the frames).
set -eu
bin=$1
frames=${XDPQ_DEMO_FRAMES:-300000}
echo "xdpq demo on $(uname -r): devmap redirect eth0 -> QEMU hub -> eth1, $frames frames"
for dev in eth0 eth1; do ip link set "$dev" up; done
ip link set eth1 promisc on
"$bin/xdpq_forward" eth0 eth1 "$frames"
echo "eth0 driver counters:"
ethtool -S eth0 | grep -E 'xdp_tx(_drops)?:|tx_.*xdp' | sed 's/^ */  /'
