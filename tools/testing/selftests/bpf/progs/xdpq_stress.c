// SPDX-License-Identifier: GPL-2.0
/* The scheduler of the stress test: two XDP programs of the same
 * behaviour (so that one can replace the other) queue every test frame
 * into one of NR_TARGETS sub-queues, round robin; a timer sends sub-queue
 * i to the device in targets[i] until the queue is empty. A target may
 * vanish at any time: its sends fail and are counted by the map.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "xdpq_kfuncs.h"

#define NR_TARGETS 2
#define TIMER_BUDGET 64

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, 4096);
	__uint(map_extra, NR_TARGETS);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} stress_fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_TARGETS);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

struct stress_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stress_timer);
} timers SEC(".maps");

/* This instance's frames: from 02:00:00:00:00:frame_src. */
const volatile __u8 frame_src = 1;

__u64 offered;		/* frames the programs redirected into the queue */
__u64 timer_runs;

enum stress_send { STRESS_SENT, STRESS_EMPTY, STRESS_BUSY };

/* Send the head of sub-queue subq to its target. A full target gives the
 * frame back to the queue and starts the timer again once it has room; a
 * target that is gone fails the send, counted by the map.
 */
static enum stress_send stress_send_one(__u32 subq)
{
	struct xdp_frame *frame;
	__u32 *ifindex;
	__u64 rank;

	ifindex = bpf_map_lookup_elem(&targets, &subq);
	if (!ifindex)
		return STRESS_EMPTY;
	frame = xdp_packet_dequeue(&stress_fifo, subq, &rank);
	if (!frame)
		return STRESS_EMPTY;
	if (xdp_packet_send(frame, *ifindex, 0) == -XDPQ_EBUSY)
		return STRESS_BUSY;
	return STRESS_SENT;
}

static int stress_timer_cb(void *map, __u32 *key, struct stress_timer *t)
{
	enum stress_send a = STRESS_EMPTY, b = STRESS_EMPTY;
	int i;

	timer_runs++;
	for (i = 0; i < TIMER_BUDGET; i++) {
		a = stress_send_one(0);
		b = stress_send_one(1);
		if (a != STRESS_SENT && b != STRESS_SENT)
			break;
	}
	xdp_packet_flush();
	/* Run again if the budget ran out. Both sub-queues empty: the map
	 * starts the timer when frames arrive; a full target starts it when
	 * it has room.
	 */
	if (i == TIMER_BUDGET)
		bpf_timer_start(&t->timer, 0, 0);
	return 0;
}

SEC("xdp")
int xdp_stress_setup(struct xdp_md *ctx)
{
	struct stress_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	bpf_timer_init(&t->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, stress_timer_cb);
	bpf_timer_start(&t->timer, 0, 0);	/* finds the queue empty, waits */
	return XDP_DROP;
}

static bool stress_frame_is_ours(const struct ethhdr *eth)
{
	const unsigned char src[6] = { 0x02, 0, 0, 0, 0, frame_src };

	return !__builtin_memcmp(eth->h_source, src, sizeof(src));
}

static __always_inline int stress_enqueue(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	__u64 seq;

	if ((void *)(eth + 1) > data_end || !stress_frame_is_ours(eth))
		return XDP_PASS;
	seq = __sync_fetch_and_add(&offered, 1);
	return bpf_redirect_map(&stress_fifo, seq % NR_TARGETS, 0);
}

SEC("xdp")
int xdp_stress_enqueue(struct xdp_md *ctx)
{
	return stress_enqueue(ctx);
}

SEC("xdp")
int xdp_stress_enqueue_alt(struct xdp_md *ctx)
{
	return stress_enqueue(ctx);
}

/* Start the timer, whatever it did last: drains what is left at the end. */
SEC("xdp")
int xdp_stress_kick(struct xdp_md *ctx)
{
	struct stress_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (t)
		bpf_timer_start(&t->timer, 0, 0);
	return XDP_DROP;
}

/* The targets' peers: count the test frames that arrive. */
__u64 rx_frames;

SEC("xdp")
int xdp_stress_count_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) <= data_end && stress_frame_is_ours(eth))
		__sync_fetch_and_add(&rx_frames, 1);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
