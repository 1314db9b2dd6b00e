// SPDX-License-Identifier: GPL-2.0
/* FQ-CoDel: deficit round robin across flows (xdpq_drr.h), and CoDel in
 * each flow's sub-queue, dropping at dequeue.
 *
 * xdpq_enqueue stamps each frame with the time it arrived, in 8 bytes of
 * XDP metadata in front of the packet. At dequeue, the frame's sojourn
 * time is now minus the stamp. CoDel (RFC 8289) tolerates a queue that
 * drains: only when the sojourn time stayed above CODEL_TARGET for a whole
 * CODEL_INTERVAL does it drop a frame, and then drops the next ones at
 * intervals that shrink with the square root of the number of drops,
 * until the sojourn time falls below the target again.
 */
#include "xdpq_sched.h"
#include "xdpq_drr.h"

#define CODEL_TARGET	(5 * 1000 * 1000ULL)	/* 5 ms */
#define CODEL_INTERVAL	(100 * 1000 * 1000ULL)	/* 100 ms */

struct codel {
	__u64 first_above;	/* when the sojourn time may count as high */
	__u64 drop_next;	/* when to drop next while dropping */
	__u32 count;		/* drops in this dropping state */
	__u32 inv_sqrt;		/* 1 / sqrt(count), in 0.32 fixed point */
	__u32 dropping;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DRR_QUEUES);
	__type(key, __u32);
	__type(value, struct codel);
} codel_state SEC(".maps");

/* Set count and follow it with inv_sqrt by one Newton step, as
 * include/net/codel_impl.h does: count changes by small steps, so one
 * step keeps the estimate close.
 */
static __always_inline void codel_set_count(struct codel *c, __u32 count)
{
	__u64 inv2, val;

	c->count = count;
	if (count == 1) {
		c->inv_sqrt = ~0U;
		return;
	}
	inv2 = ((__u64)c->inv_sqrt * c->inv_sqrt) >> 32;
	val = (3ULL << 32) - count * inv2;
	val = ((val >> 2) * c->inv_sqrt) >> 31;
	c->inv_sqrt = val > ~0U ? ~0U : val;
}

/* The next drop: t + interval / sqrt(count). */
static __always_inline __u64 control_law(const struct codel *c, __u64 t)
{
	return t + ((CODEL_INTERVAL * c->inv_sqrt) >> 32);
}

/* RFC 8289's dodequeue(): true if this frame's sojourn time has been high
 * for an interval.
 */
static __always_inline bool sojourn_high(struct codel *c, __u64 sojourn, __u64 now)
{
	if (sojourn < CODEL_TARGET) {
		c->first_above = 0;
		return false;
	}
	if (!c->first_above) {
		c->first_above = now + CODEL_INTERVAL;
		return false;
	}
	return now >= c->first_above;
}

static __always_inline bool drr_admit(struct xdp_frame *frame, __u32 subq,
				      __u64 now)
{
	struct codel *c = bpf_map_lookup_elem(&codel_state, &subq);
	__u64 stamp, sojourn;
	bool high;

	if (!c)
		return true;
	if (xdp_packet_load_bytes(frame, -(int)sizeof(stamp), &stamp, sizeof(stamp)))
		return true;	/* not stamped: no sojourn time */
	sojourn = now > stamp ? now - stamp : 0;
	high = sojourn_high(c, sojourn, now);

	if (c->dropping) {
		if (!high) {
			c->dropping = 0;
			return true;
		}
		if (now < c->drop_next)
			return true;
		codel_set_count(c, c->count + 1);
		c->drop_next = control_law(c, c->drop_next);
		return false;
	}
	if (!high)
		return true;
	/* Enter the dropping state; start from the previous drop rate if
	 * it ended recently.
	 */
	c->dropping = 1;
	codel_set_count(c, c->count > 2 && now - c->drop_next < 8 * CODEL_INTERVAL ?
			   c->count - 2 : 1);
	c->drop_next = control_law(c, now);
	return false;
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	__u64 now = bpf_ktime_get_ns(), *stamp;
	struct xdpq_pkt pkt;

	if (!bpf_xdp_adjust_meta(ctx, -(int)sizeof(*stamp))) {
		stamp = (void *)(long)ctx->data_meta;
		if ((void *)(stamp + 1) <= (void *)(long)ctx->data)
			*stamp = now;
	}
	xdpq_parse(ctx, &pkt);
	xdpq_wake(0, 0);
	return bpf_redirect_map(&drr_queue, pkt.flow % DRR_QUEUES, 0);
}
