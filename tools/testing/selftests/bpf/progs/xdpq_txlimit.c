// SPDX-License-Identifier: GPL-2.0
/* A strict priority scheduler that respects its target's XDP TX limit:
 * the timer sends until xdp_packet_send() says -EBUSY, then sleeps without
 * re-arming; the completion that frees room starts the timer again. With
 * bulk_send, it sends with xdp_packet_dequeue_send() instead, which stops
 * taking frames where the target's room ends. With resume_delay_ns, it is
 * a scheduler slow to respond: each start of its timer, a wakeup among
 * them, runs the callback only that much later.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "xdpq_kfuncs.h"

#define BUDGET 64
#define MAX_FRAMES 32768

struct {
	__uint(type, BPF_MAP_TYPE_XDP_PIFO);
	__uint(max_entries, MAX_FRAMES);
	__uint(map_extra, 8);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} q SEC(".maps");

struct sched_timer {
	struct bpf_timer timer;
	bool deferred;		/* this run is the one resume_delay_ns put off */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_timer);
} timers SEC(".maps");

__u32 target_ifindex;
__u32 enqueue_class;		/* rank of the frames offered next */
bool tag_ids;			/* tag the frames with their id, not their class */
bool bulk_send;			/* xdp_packet_dequeue_send() */
__u64 resume_delay_ns;
__u32 next_id;

__u64 runs;			/* timer callback runs */
__u64 sent;
__u64 busy;			/* sends refused at the limit */
__u64 send_errors;
__s64 last_budget = -1;		/* xdp_tx_budget() when last stopped short */

/* Fewer than BUDGET frames taken: the queue is empty, or the target has
 * no more room; either starts the timer again when that changes.
 */
static int sched_bulk_send(struct sched_timer *t)
{
	__u64 bytes = ~0ULL;
	int n;

	n = xdp_packet_dequeue_send(&q, 0, target_ifindex, BUDGET, &bytes);
	if (n == -XDPQ_EBUSY) {
		busy++;
		last_budget = xdp_tx_budget(&q, target_ifindex);
		return 0;
	}
	if (n < 0) {
		send_errors++;
		return 0;
	}
	sent += n;
	if (n == BUDGET)
		bpf_timer_start(&t->timer, 0, 0);
	else
		last_budget = xdp_tx_budget(&q, target_ifindex);
	return 0;
}

static int sched_cb(void *map, __u32 *key, struct sched_timer *t)
{
	struct xdp_frame *frame;
	__u64 rank;
	int i, err;

	if (resume_delay_ns && !t->deferred) {
		t->deferred = true;
		bpf_timer_start(&t->timer, resume_delay_ns, 0);
		return 0;
	}
	t->deferred = false;
	runs++;
	if (bulk_send)
		return sched_bulk_send(t);
	for (i = 0; i < BUDGET; i++) {
		frame = xdp_packet_dequeue(&q, 0, &rank);
		if (!frame)
			return 0;	/* the map starts this timer for frames */
		err = xdp_packet_send(frame, target_ifindex, 0);
		if (err == -XDPQ_EBUSY) {
			/* The frame is back in the queue; the device starts
			 * this timer again when it has room.
			 */
			busy++;
			last_budget = xdp_tx_budget(&q, target_ifindex);
			return 0;
		}
		if (err)
			send_errors++;
		else
			sent++;
	}
	bpf_timer_start(&t->timer, 0, 0);
	return 0;
}

SEC("xdp")
int xdp_sched_setup(struct xdp_md *ctx)
{
	struct sched_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	bpf_timer_init(&t->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, sched_cb);
	bpf_timer_start(&t->timer, 0, 0);	/* finds q empty, waits */
	return XDP_DROP;
}

/* A run of the scheduler that something else started, as frames arriving
 * start a scheduler that waits for them.
 */
SEC("xdp")
int xdp_sched_kick(struct xdp_md *ctx)
{
	struct sched_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	bpf_timer_start(&t->timer, 0, 0);
	return XDP_DROP;
}

SEC("xdp")
int xdp_sched_enqueue(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 *p = data + XDPQ_SEQ_OFF;

	if ((void *)(p + 2) > data_end)
		return XDP_ABORTED;
	p[0] = __sync_fetch_and_add(&next_id, 1);
	p[1] = tag_ids ? p[0] : enqueue_class;
	return bpf_redirect_map(&q, enqueue_class, 0);
}

/* Receiving end: count the test's frames, record their classes in
 * arrival order and which ids arrived, counting an id that arrives twice;
 * count the stack's test frames (sent through a packet socket, from source
 * address ...:02) apart. rx_delay_ns makes it a slow receiver: it spins
 * that long per frame.
 */
__u32 rx_n;
__u8 rx_class[MAX_FRAMES];
__u64 rx_ids[MAX_FRAMES / 64];
__u64 rx_dup;
__u64 rx_stack_n;
__u64 rx_delay_ns;

static long spin_until(__u64 i, __u64 *deadline)
{
	return bpf_ktime_get_ns() >= *deadline;
}

SEC("xdp")
int xdp_record_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 *p = data + XDPQ_SEQ_OFF, n;

	if ((void *)(p + 2) > data_end)
		return XDP_DROP;
	if (!xdpq_is_test_frame(data)) {
		struct ethhdr *eth = data;

		if (eth->h_source[0] == 0x02 && eth->h_source[5] == 0x02)
			__sync_fetch_and_add(&rx_stack_n, 1);
		return XDP_DROP;
	}
	if (rx_delay_ns) {
		__u64 deadline = bpf_ktime_get_ns() + rx_delay_ns;

		bpf_loop(1 << 20, spin_until, &deadline, 0);
	}
	n = __sync_fetch_and_add(&rx_n, 1);
	if (n < MAX_FRAMES)
		rx_class[n] = p[1];
	if (p[0] < MAX_FRAMES) {
		__u64 bit = 1ULL << (p[0] % 64);

		if (__sync_fetch_and_or(&rx_ids[p[0] / 64], bit) & bit)
			__sync_fetch_and_add(&rx_dup, 1);
	}
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";

/* The same burst through a plain devmap, for comparison. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

SEC("xdp")
int xdp_devmap_out(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, 0);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
