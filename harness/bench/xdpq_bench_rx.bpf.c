// SPDX-License-Identifier: GPL-2.0
/* The ends of a bench section's link, attached once for all its cases:
 * bench_count counts the bench's frames arriving at the receiving device,
 * notes the time every BENCH_STAMP_EVERY of them, and drops everything;
 * bench_pass sits on the transmitting device, since
 * some drivers (virtio-net) take redirected frames only while they have an
 * XDP program of their own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xdpq_bench.h"

__u64 received;
/* When received reached n * BENCH_STAMP_EVERY, in stamps[n % BENCH_STAMPS]:
 * xdpq_bench.c measures the rate between two of them, after the warm-up.
 */
__u64 stamps[BENCH_STAMPS];

SEC("xdp")
int bench_count(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	const unsigned char src[] = BENCH_SRC_MAC;
	__u64 n;

	if ((void *)(eth + 1) > data_end ||
	    __builtin_memcmp(eth->h_source, src, sizeof(src)))
		return XDP_DROP;
	/* The devices have one receive queue: one CPU at a time counts. */
	n = ++received;
	if (!(n % BENCH_STAMP_EVERY))
		stamps[n / BENCH_STAMP_EVERY % BENCH_STAMPS] = bpf_ktime_get_ns();
	return XDP_DROP;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
