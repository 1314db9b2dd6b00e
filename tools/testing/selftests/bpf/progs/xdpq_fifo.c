// SPDX-License-Identifier: GPL-2.0
/* The FIFO queue map from both ends: xdp_enqueue_seq stamps each test
 * frame with a sequence number and queues it in sub-queue seq % nr_subq;
 * xdp_drain_check dequeues everything and checks that every sub-queue
 * returns its frames in the order they were queued; xdp_next_subq finds
 * sub-queues with frames; xdp_nr_queued counts the frames of one or of the
 * map; xdp_dequeue_send sends from a sub-queue with
 * xdp_packet_dequeue_send(); the timer program forwards queued frames to
 * a device from a bpf_timer callback.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "xdpq_kfuncs.h"

#define MAX_SUBQ 64
#define TIMER_BUDGET 64

const volatile __u32 nr_subq = 1;

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, 16384);
	__uint(map_extra, MAX_SUBQ);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} fifo SEC(".maps");

__u32 next_seq;
__u64 enqueue_subq_offset;	/* added to the sub-queue: out-of-range tests */

__u64 drained;
__u64 order_errors;
__u64 read_errors;
__u64 last_seq[MAX_SUBQ];	/* sequence number + 1 of the last frame */

SEC("xdp")
int xdp_enqueue_seq(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 seq, *p = data + XDPQ_SEQ_OFF;

	if ((void *)(p + 1) > data_end)
		return XDP_PASS;
	if (!xdpq_is_test_frame(data))
		return XDP_PASS;
	seq = __sync_fetch_and_add(&next_seq, 1);
	*p = seq;
	return bpf_redirect_map(&fifo, seq % nr_subq + enqueue_subq_offset, 0);
}

static int drain_subq(__u32 subq)
{
	struct xdp_frame *frame;
	__u64 rank;
	__u32 seq;

	if (subq >= MAX_SUBQ)
		return 1;
	frame = xdp_packet_dequeue(&fifo, subq, &rank);
	if (!frame)
		return 1;
	if (xdp_packet_load_bytes(frame, XDPQ_SEQ_OFF, &seq, sizeof(seq))) {
		read_errors++;
	} else {
		if ((__u64)seq + 1 <= last_seq[subq] || seq % nr_subq != subq ||
		    rank)
			order_errors++;
		last_seq[subq] = (__u64)seq + 1;
	}
	drained++;
	xdp_packet_drop(frame);
	return 0;
}

/* One frame per bpf_loop() step; move to the next sub-queue when empty. */
static int drain_one(__u64 i, void *ctx)
{
	__u32 *subq = ctx;

	if (drain_subq(*subq))
		(*subq)++;
	return *subq >= nr_subq;
}

SEC("xdp")
int xdp_drain_check(struct xdp_md *ctx)
{
	__u32 subq = 0;

	bpf_loop(1 << 20, drain_one, &subq, 0);
	return XDP_DROP;
}

/* xdp_packet_next_subq() for the ranges the test sets, then a drain that
 * finds each sub-queue it dequeues from with it.
 */
#define NEXT_QUERIES 8
#define NEXT_ALL 65536		/* beyond any map: up to its last sub-queue */

__u32 next_from[NEXT_QUERIES];
__u32 next_to[NEXT_QUERIES];
int next_ret[NEXT_QUERIES];
__u64 next_drained;
__u64 next_errors;	/* a sub-queue found going backwards, or empty */

static int drain_next(__u64 i, void *ctx)
{
	struct xdp_frame *frame;
	__u32 *last = ctx;
	__u64 rank;
	int subq;

	subq = xdp_packet_next_subq(&fifo, 0, NEXT_ALL);
	if (subq < 0)
		return 1;
	if ((__u32)subq < *last)
		next_errors++;
	*last = subq;
	frame = xdp_packet_dequeue(&fifo, subq, &rank);
	if (!frame) {
		next_errors++;
		return 1;
	}
	next_drained++;
	xdp_packet_drop(frame);
	return 0;
}

SEC("xdp")
int xdp_next_subq(struct xdp_md *ctx)
{
	__u32 i, last = 0;

	for (i = 0; i < NEXT_QUERIES; i++)
		next_ret[i] = xdp_packet_next_subq(&fifo, next_from[i], next_to[i]);
	bpf_loop(1 << 20, drain_next, &last, 0);
	return XDP_DROP;
}

/* Dequeue everything from sub-queue 0 and send it to target_ifindex. */
__u64 send_all_ok;
__u64 send_all_err;
int send_all_last_err;
__u32 target_ifindex;

static int send_one(__u64 i, void *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;
	int err;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (!frame)
		return 1;
	err = xdp_packet_send(frame, target_ifindex, 0);
	if (err) {
		send_all_err++;
		send_all_last_err = err;
	} else {
		send_all_ok++;
	}
	return 0;
}

SEC("xdp")
int xdp_send_all(struct xdp_md *ctx)
{
	bpf_loop(1 << 20, send_one, NULL, 0);
	xdp_packet_flush();
	return XDP_DROP;
}

/* One xdp_packet_nr_queued() with the flags the test sets. */
__u64 nq_flags;
__s64 nq_ret;

SEC("xdp")
int xdp_nr_queued(struct xdp_md *ctx)
{
	nq_ret = xdp_packet_nr_queued(&fifo, nq_flags);
	return XDP_DROP;
}

/* One xdp_packet_dequeue_send() with the arguments the test sets. */
__u64 ds_flags;
__u32 ds_max_frames;
__u64 ds_bytes;		/* the budget in, the bytes sent out */
int ds_ret;

SEC("xdp")
int xdp_dequeue_send(struct xdp_md *ctx)
{
	__u64 bytes = ds_bytes;

	ds_ret = xdp_packet_dequeue_send(&fifo, ds_flags, target_ifindex, ds_max_frames, &bytes);
	ds_bytes = bytes;
	xdp_packet_flush();
	return XDP_DROP;
}

/* Timer-driven forwarding, in the pattern of
 * Documentation/bpf/map_xdp_queue.rst: setup starts the timer once; the
 * callback sends up to TIMER_BUDGET frames per run and starts itself again
 * only if it used up the budget. A run that finds the queue empty just
 * returns: the map starts the timer when frames arrive, so the enqueueing
 * program never touches the timer.
 */
struct fwd_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_timer);
} timers SEC(".maps");

__u64 fwd_send_errors;
__u64 fwd_runs;
bool fwd_find_subq;	/* look with xdp_packet_next_subq() before dequeueing */
bool fwd_batch;		/* send with one xdp_packet_dequeue_send() per run */
bool fwd_pin;		/* start the timer with BPF_F_TIMER_CPU_PIN */
__u32 fwd_cpus;		/* the CPUs the timer ran on, a bit each */

static __always_inline long fwd_timer_start(struct fwd_timer *t)
{
	return bpf_timer_start(&t->timer, 0, fwd_pin ? BPF_F_TIMER_CPU_PIN : 0);
}

/* A run of the forwarder with fwd_batch; true to run again at once. */
static bool fwd_batch_run(void)
{
	__u64 bytes = ~0ULL;
	int n;

	n = xdp_packet_dequeue_send(&fifo, 0, target_ifindex, TIMER_BUDGET, &bytes);
	/* -EBUSY: the completion that frees room starts the timer again. */
	if (n < 0 && n != -XDPQ_EBUSY)
		fwd_send_errors++;
	return n == TIMER_BUDGET;
}

static int fwd_timer_cb(void *map, __u32 *key, struct fwd_timer *t)
{
	struct xdp_frame *frame;
	__u64 rank;
	int i, err;

	fwd_runs++;
	fwd_cpus |= 1U << (bpf_get_smp_processor_id() & 31);
	if (fwd_batch) {
		if (fwd_batch_run())
			fwd_timer_start(t);
		return 0;
	}
	for (i = 0; i < TIMER_BUDGET; i++) {
		/* An empty map makes either call wait for frames. */
		if (fwd_find_subq && xdp_packet_next_subq(&fifo, 0, 1) < 0)
			return 0;
		frame = xdp_packet_dequeue(&fifo, 0, &rank);
		if (!frame)
			return 0;
		err = xdp_packet_send(frame, target_ifindex, 0);
		/* The target is full: the frame is back in the queue and
		 * the completion that frees room starts this timer again.
		 */
		if (err == -XDPQ_EBUSY)
			return 0;
		if (err)
			fwd_send_errors++;
	}
	fwd_timer_start(t);
	return 0;
}

SEC("xdp")
int xdp_fwd_setup(struct xdp_md *ctx)
{
	struct fwd_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	if (bpf_timer_init(&t->timer, &timers, CLOCK_MONOTONIC) ||
	    bpf_timer_set_callback(&t->timer, fwd_timer_cb) ||
	    fwd_timer_start(t))
		return XDP_ABORTED;
	return XDP_DROP;
}

SEC("xdp")
int xdp_fwd_enqueue(struct xdp_md *ctx)
{
	return bpf_redirect_map(&fifo, 0, 0);
}

/* Receiving end of the forwarding tests: count the test's frames (by their
 * source address; the stack sends its own, e.g. IPv6 neighbour discovery)
 * and drop everything. With rx_check_order, frames of sequence numbers of
 * one parity (sub-queue, with two) must arrive in increasing order.
 */
__u64 rx_frames;
bool rx_check_order;
__u64 rx_order_errors;
__u64 rx_last_seq[2];	/* sequence number + 1 of the last frame */

SEC("xdp")
int xdp_count_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	__u32 *p = (void *)eth + XDPQ_SEQ_OFF;

	if ((void *)(p + 1) > data_end || !xdpq_is_test_frame(eth))
		return XDP_DROP;
	__sync_fetch_and_add(&rx_frames, 1);
	if (rx_check_order) {
		if ((__u64)*p + 1 <= rx_last_seq[*p & 1])
			rx_order_errors++;
		rx_last_seq[*p & 1] = (__u64)*p + 1;
	}
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";

/* Redirect errors, as the existing tracepoint reports them. */
__u64 redirect_errors;
int last_redirect_err;

/* bpf_redirect_map() errors are reported by trace_xdp_redirect_err(). */
SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(trace_redirect_err, const struct net_device *dev,
	     const struct bpf_prog *xdp, const void *tgt, int err,
	     enum bpf_map_type map_type, __u32 map_id, __u32 index)
{
	if (map_type == BPF_MAP_TYPE_XDP_FIFO) {
		redirect_errors++;
		last_redirect_err = err;
	}
	return 0;
}

/* The most frames a call of ndo_xdp_xmit() was handed, by veth (a device
 * with an XDP TX limit) and by bonding (one without): a send bulk holds
 * more than a devmap's, which drivers may size their per-call state by.
 * Only the calls to the devices named here count, not those of other
 * tests. Loaded on demand, so that the other tests do not need the
 * functions.
 */
__u32 xmit_ifindex;
__u32 bond_xmit_ifindex;
__u64 xmit_netns_cookie;
__u32 xmit_max_frames;
__u32 bond_xmit_max_frames;

static bool xmit_counted(const struct net_device *dev, __u32 ifindex)
{
	return dev->ifindex == ifindex &&
	       dev->nd_net.net->net_cookie == xmit_netns_cookie;
}

SEC("?fentry/veth_ndo_xdp_xmit")
int BPF_PROG(count_xmit_frames, struct net_device *dev, int n)
{
	if (xmit_counted(dev, xmit_ifindex) && n > xmit_max_frames)
		xmit_max_frames = n;
	return 0;
}

SEC("?fentry/bond_xdp_xmit")
int BPF_PROG(count_bond_xmit_frames, struct net_device *dev, int n)
{
	if (xmit_counted(dev, bond_xmit_ifindex) && n > bond_xmit_max_frames)
		bond_xmit_max_frames = n;
	return 0;
}

/* Every test frame given back to its memory allocator, whoever frees it:
 * a queue map being freed, a failed send, xdp_packet_drop().
 */
__u64 test_frames_returned;

SEC("fentry/xdp_return_frame")
int BPF_PROG(count_frame_return, struct xdp_frame *xdpf)
{
	struct ethhdr eth;

	if (!bpf_probe_read_kernel(&eth, sizeof(eth), xdpf->data) &&
	    xdpq_is_test_frame(&eth))
		__sync_fetch_and_add(&test_frames_returned, 1);
	return 0;
}
