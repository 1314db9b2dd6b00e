/* SPDX-License-Identifier: GPL-2.0 */
/* Deficit round robin over the sub-queues of an XDP FIFO map, shared by
 * xdpq_drr.bpf.c (flow fair queueing) and xdpq_fq_codel.bpf.c.
 *
 * Frames are hashed by flow into DRR_QUEUES sub-queues. The dequeue side
 * visits the sub-queues in turn; a visit adds DRR_QUANTUM bytes of credit
 * and sends frames while the credit is positive. A frame may take the
 * credit below zero, which the next visit pays back (as sch_fq does), so
 * the head frame need not be known before it is dequeued. A sub-queue
 * found empty loses its credit, and xdp_packet_next_subq() finds the next
 * one with frames, so a run does not try the empty ones in turn. Over
 * time every backlogged flow sends the same number of bytes, whatever its
 * frame sizes.
 *
 * The including file defines drr_admit(), which decides for each dequeued
 * frame whether it is sent (true) or dropped (false), and includes
 * xdpq_sched.h first.
 */
#ifndef __XDPQ_DRR_H
#define __XDPQ_DRR_H

#define DRR_QUEUES	64
#define DRR_QUANTUM	1514
#define DRR_FRAMES	8192

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, DRR_FRAMES);
	__uint(map_extra, DRR_QUEUES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} drr_queue SEC(".maps");

__s64 drr_credit[DRR_QUEUES];
__u32 drr_current;		/* the sub-queue to visit first */
__u64 drr_dropped;		/* frames drr_admit() refused */

static __always_inline bool drr_admit(struct xdp_frame *frame, __u32 subq,
				      __u64 now);

struct drr_run {
	__u64 now;
	__u32 q;		/* the sub-queue being visited */
	int handled;		/* frames sent or dropped */
	bool blocked;		/* the target refused a frame */
};

/* One step of a run: send or drop one frame, or move to the next
 * sub-queue. Returns 1 to end the run.
 */
static long drr_step(__u64 i, struct drr_run *run)
{
	__u32 q = run->q % DRR_QUEUES;
	struct xdp_frame *frame;
	__u64 rank;
	__u32 len;
	int next;

	if (run->handled == XDPQ_BUDGET)
		return 1;
	if (drr_credit[q] <= 0) {
		drr_credit[q] += DRR_QUANTUM;
		if (drr_credit[q] <= 0) {
			/* Still paying for a frame larger than a quantum:
			 * not empty, its turn comes again.
			 */
			run->q = q + 1;
			return 0;
		}
	}
	frame = xdp_packet_dequeue(&drr_queue, q, &rank);
	if (!frame) {
		/* Empty: on to the next sub-queue with frames, if any. */
		drr_credit[q] = 0;
		next = xdpq_next_subq_round(&drr_queue, 0, DRR_QUEUES, q);
		if (next < 0)
			return 1;
		run->q = next;
		return 0;
	}
	len = frame->len;
	if (!drr_admit(frame, q, run->now)) {
		xdp_packet_drop(frame);
		drr_dropped++;
	} else if (xdp_packet_send(frame, target_ifindex, 0) == -XDPQ_EBUSY) {
		run->blocked = true;
		return 1;
	}
	drr_credit[q] -= len;
	run->handled++;
	if (drr_credit[q] <= 0)
		run->q = q + 1;
	return 0;
}

/* A run ends at its budget, a full target, or a map with no frames. */
static __s64 sched_dequeue(void)
{
	struct drr_run run = {
		.now = bpf_ktime_get_ns(),
		.q = drr_current,
	};

	bpf_loop(XDPQ_BUDGET + 2 * DRR_QUEUES, drr_step, &run, 0);
	drr_current = run.q % DRR_QUEUES;
	if (run.blocked)
		return XDPQ_BLOCKED;
	return xdpq_done(&drr_queue, run.handled);
}

#endif
