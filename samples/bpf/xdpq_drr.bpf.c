// SPDX-License-Identifier: GPL-2.0
/* Flow fair queueing by deficit round robin: flows are hashed into the
 * sub-queues of a FIFO map and share the target equally in bytes. See
 * xdpq_drr.h.
 */
#include "xdpq_sched.h"
#include "xdpq_drr.h"

static __always_inline bool drr_admit(struct xdp_frame *frame, __u32 subq,
				      __u64 now)
{
	return true;
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	struct xdpq_pkt pkt;

	xdpq_parse(ctx, &pkt);
	xdpq_wake(0, 0);
	return bpf_redirect_map(&drr_queue, pkt.flow % DRR_QUEUES, 0);
}
