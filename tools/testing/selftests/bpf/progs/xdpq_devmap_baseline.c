// SPDX-License-Identifier: GPL-2.0
/* Plain devmap forwarding, the path xdpq's queue maps are compared against:
 * xdp_redirect_devmap sends every frame to the device in tx_port slot 0,
 * xdp_count_drop counts the frames carrying the test's magic byte at the
 * receiving end and drops them.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

#define XDPQ_MAGIC_OFF 62	/* eth + ipv6 + udp headers */
#define XDPQ_MAGIC 0x42

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

__u64 frames_seen;

SEC("xdp")
int xdp_redirect_devmap(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, 0);
}

SEC("xdp")
int xdp_count_drop(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *data = (void *)(long)ctx->data;

	if (data + XDPQ_MAGIC_OFF + 1 <= (__u8 *)data_end &&
	    data[XDPQ_MAGIC_OFF] == XDPQ_MAGIC)
		__sync_fetch_and_add(&frames_seen, 1);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
