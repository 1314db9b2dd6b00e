// SPDX-License-Identifier: GPL-2.0
/* Two small schedulers on the rank ordered queue maps, each driven by a
 * bpf_timer and forwarding to target_ifindex:
 *
 * - strict priority: a PIFO with one rank per class; the timer always
 *   sends the lowest class present;
 * - EDT pacing: an rbtree ranked by departure time; the timer sends what is
 *   due and sleeps until the head's departure time.
 *
 * xdp_record_rx, at the receiving end, records each frame's arrival order
 * and time by frame number.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "xdpq_kfuncs.h"

#define NR_CLASSES 8
#define MAX_FRAMES 4096
#define BUDGET 32

struct {
	__uint(type, BPF_MAP_TYPE_XDP_PIFO);
	__uint(max_entries, MAX_FRAMES);
	__uint(map_extra, NR_CLASSES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} prio_q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XDP_RBTREE);
	__uint(max_entries, MAX_FRAMES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} edt_q SEC(".maps");

struct sched_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sched_timer);
} timers SEC(".maps");

enum { PRIO_TIMER, EDT_TIMER };

__u32 target_ifindex;
__u32 next_id;
__u64 sent;
__u64 send_errors;
__u64 early;			/* EDT frames sent before their time */
__u64 edt_gap_ns;
__u64 edt_start_ns;

static __always_inline __u32 class_of(__u32 id)
{
	return (id * 2654435761U) >> 29;	/* 0..7, spread over the ids */
}

static __u32 stamp_id(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 *p = data + XDPQ_SEQ_OFF, id;

	if ((void *)(p + 1) > data_end)
		return ~0U;
	id = __sync_fetch_and_add(&next_id, 1);
	*p = id;
	return id;
}

/* Strict priority */

SEC("xdp")
int xdp_prio_enqueue(struct xdp_md *ctx)
{
	__u32 id = stamp_id(ctx);

	if (id == ~0U)
		return XDP_ABORTED;
	return bpf_redirect_map(&prio_q, class_of(id), 0);
}

static int prio_timer_cb(void *map, __u32 *key, struct sched_timer *t)
{
	struct xdp_frame *frame;
	__u64 rank;
	int i, err;

	for (i = 0; i < BUDGET; i++) {
		frame = xdp_packet_dequeue(&prio_q, 0, &rank);
		if (!frame)
			return 0;
		err = xdp_packet_send(frame, target_ifindex, 0);
		if (err == -XDPQ_EBUSY)
			return 0;	/* woken when the target has room */
		if (err)
			send_errors++;
		else
			sent++;
	}
	bpf_timer_start(&t->timer, 0, 0);
	return 0;
}

/* EDT pacing: frame n departs at edt_start_ns + n * edt_gap_ns. */

SEC("xdp")
int xdp_edt_enqueue(struct xdp_md *ctx)
{
	__u32 id = stamp_id(ctx);

	if (id == ~0U)
		return XDP_ABORTED;
	return bpf_redirect_map(&edt_q, edt_start_ns + id * edt_gap_ns, 0);
}

__u64 sent_ns[MAX_FRAMES];	/* when each frame was sent */
__u64 due_ns[MAX_FRAMES];	/* its departure time */

static int edt_timer_cb(void *map, __u32 *key, struct sched_timer *t)
{
	struct xdp_frame *frame;
	__u64 now, rank;
	__u32 id;
	int i, err;

	for (i = 0; i < BUDGET; i++) {
		now = bpf_ktime_get_ns();
		rank = now;
		frame = xdp_packet_dequeue(&edt_q, XDPQ_DEQUEUE_RANK_LE, &rank);
		if (!frame)
			break;
		if (rank > now)
			early++;
		if (!xdp_packet_load_bytes(frame, XDPQ_SEQ_OFF, &id, sizeof(id)) &&
		    id < MAX_FRAMES) {
			sent_ns[id] = now;
			due_ns[id] = rank;
		}
		err = xdp_packet_send(frame, target_ifindex, 0);
		if (err == -XDPQ_EBUSY)
			return 0;	/* woken when the target has room */
		if (err)
			send_errors++;
		else
			sent++;
	}
	if (i == BUDGET) {
		bpf_timer_start(&t->timer, 0, 0);
		return 0;
	}
	/* Sleep until the head is due. Empty: the map starts the timer when
	 * frames arrive.
	 */
	if (xdp_packet_peek_rank(&edt_q, 0, &rank))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_timer_start(&t->timer, rank > now ? rank - now : 0, 0);
	return 0;
}

/* Timer setup; run once from user space. */
SEC("xdp")
int xdp_sched_setup(struct xdp_md *ctx)
{
	struct sched_timer *t;
	__u32 key;

	key = PRIO_TIMER;
	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	bpf_timer_init(&t->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, prio_timer_cb);

	key = EDT_TIMER;
	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	bpf_timer_init(&t->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, edt_timer_cb);
	bpf_timer_start(&t->timer, 0, 0);	/* finds edt_q empty, waits */
	edt_start_ns = bpf_ktime_get_ns() + 10000000;	/* 10 ms from now */
	return XDP_DROP;
}

/* Start the strict priority scheduler on its backlog. */
SEC("xdp")
int xdp_prio_start(struct xdp_md *ctx)
{
	struct sched_timer *t;
	__u32 key = PRIO_TIMER;

	t = bpf_map_lookup_elem(&timers, &key);
	if (t)
		bpf_timer_start(&t->timer, 0, 0);
	return XDP_DROP;
}

/* Receiving end */
__u32 rx_n;
__u32 rx_order[MAX_FRAMES];	/* frame numbers in arrival order */
__u64 rx_ns[MAX_FRAMES];	/* arrival time by frame number */

SEC("xdp")
int xdp_record_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 *p = data + XDPQ_SEQ_OFF, id, n;

	if ((void *)(p + 1) > data_end || !xdpq_is_test_frame(data))
		return XDP_DROP;
	id = *p;
	n = __sync_fetch_and_add(&rx_n, 1);
	if (n < MAX_FRAMES)
		rx_order[n] = id;
	if (id < MAX_FRAMES)
		rx_ns[id] = bpf_ktime_get_ns();
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
