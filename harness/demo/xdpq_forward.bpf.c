// SPDX-License-Identifier: GPL-2.0
/* The forwarding demo: redirect every frame to the device in tx_port slot 0
 * (eth0), count what arrives on the other NIC (eth1) and drop it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

__u64 rx_frames;

SEC("xdp")
int xdp_redirect_out(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, 0);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_count_rx(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&rx_frames, 1);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
