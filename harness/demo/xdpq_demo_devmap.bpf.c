// SPDX-License-Identifier: GPL-2.0
/* The demo's baseline: forward by destination MAC with a plain devmap,
 * straight into each VM's tap, as XDP forwarding works without xdpq.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u8[6]);
	__type(value, __u32);
} vm_by_mac SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} vm_dev SEC(".maps");

SEC("xdp")
int demo_devmap(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	__u32 *vm;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	vm = bpf_map_lookup_elem(&vm_by_mac, eth->h_dest);
	if (!vm)
		return XDP_PASS;
	return bpf_redirect_map(&vm_dev, *vm, 0);
}

char _license[] SEC("license") = "GPL";
