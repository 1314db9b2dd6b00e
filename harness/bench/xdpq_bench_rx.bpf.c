// SPDX-License-Identifier: GPL-2.0
/* The ends of a bench section's link, attached once for all its cases:
 * bench_count counts the bench's frames arriving at the receiving device
 * and drops everything; bench_pass sits on the transmitting device, since
 * some drivers (virtio-net) take redirected frames only while they have an
 * XDP program of their own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xdpq_bench.h"

__u64 received;

SEC("xdp")
int bench_count(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	const unsigned char src[] = BENCH_SRC_MAC;

	if ((void *)(eth + 1) <= data_end &&
	    !__builtin_memcmp(eth->h_source, src, sizeof(src)))
		__sync_fetch_and_add(&received, 1);
	return XDP_DROP;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
