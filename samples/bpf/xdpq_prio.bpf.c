// SPDX-License-Identifier: GPL-2.0
/* Strict priority: the frame of the highest class leaves first, frames of
 * one class in arrival order.
 *
 * The class is the DSCP class selector (DSCP >> 3, so CS7 = 7 is the
 * highest) or, for frames with a VLAN tag, the larger of that and the
 * VLAN priority (PCP). A PIFO map with one rank per class holds the
 * frames: rank 0 for class 7 up to rank 7 for class 0. The PIFO's window
 * is exactly the eight ranks, so no rank is ever outside it.
 */
#include "xdpq_sched.h"

#define NR_CLASSES	8
#define QUEUE_FRAMES	4096

struct {
	__uint(type, BPF_MAP_TYPE_XDP_PIFO);
	__uint(max_entries, QUEUE_FRAMES);
	__uint(map_extra, NR_CLASSES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} prio_queue SEC(".maps");

static __s64 sched_dequeue(void)
{
	struct xdp_frame *frame;
	__u64 rank;
	int i;

	for (i = 0; i < XDPQ_BUDGET; i++) {
		frame = xdp_packet_dequeue(&prio_queue, 0, &rank);
		if (!frame)
			break;
		if (xdp_packet_send(frame, target_ifindex, 0) == -XDPQ_EBUSY)
			return XDPQ_BLOCKED;
	}
	return xdpq_done(&prio_queue, i);
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	struct xdpq_pkt pkt;
	__u32 class;

	xdpq_parse(ctx, &pkt);
	class = pkt.dscp >> 3;
	if (pkt.pcp > class)
		class = pkt.pcp;
	xdpq_wake(0, 0);
	return bpf_redirect_map(&prio_queue, NR_CLASSES - 1 - class, 0);
}
