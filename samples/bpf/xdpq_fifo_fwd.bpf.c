// SPDX-License-Identifier: GPL-2.0
/* Forward frames from one device to another through an XDP FIFO queue map.
 *
 * xdp_fifo_enqueue runs on the ingress device and queues every frame in
 * the map with bpf_redirect_map(). Frames leave the map in a bpf_timer
 * callback: fwd_timer_cb() sends up to BUDGET frames to the egress device
 * per run, with one xdp_packet_dequeue_send() (one map lock and one bulk
 * for all of them), and starts the timer again while it has work. Once it
 * finds the queue empty it returns: the map starts the timer when frames
 * arrive, so the enqueueing program leaves the timer alone.
 *
 * A forwarder decides nothing per frame. A scheduler that does takes the
 * frames one at a time with xdp_packet_dequeue() and passes each to
 * xdp_packet_send() or xdp_packet_drop(): see "The timer pattern" in
 * Documentation/bpf/map_xdp_queue.rst.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC	1
#endif

#define QUEUE_FRAMES	4096	/* frames the map holds at once */
#define BUDGET		64	/* frames sent per timer run */
#define RETRY_NS	100000000	/* a device that cannot send: 100 ms */

#define EBUSY 16

/* From net/core/xdp_dequeue.c */
int xdp_packet_dequeue_send(void *map, __u64 flags, __u32 ifindex, __u32 max_frames,
			    __u64 *bytes) __ksym;

/* Set by user space before attaching. It is resolved in the network
 * namespace the queue map was created in, that of the loading process.
 */
__u32 egress_ifindex;

/* A single sub-queue (map_extra 0); the key of bpf_redirect_map() and the
 * low 32 bits of the dequeue flags select it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, QUEUE_FRAMES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} fifo SEC(".maps");

struct fwd_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_timer);
} timer_map SEC(".maps");

static int fwd_timer_cb(void *map, __u32 *key, struct fwd_timer *t)
{
	__u64 bytes = ~0ULL;	/* no byte budget */
	int n;

	/* Frames the device refuses one by one (too long, or it is down)
	 * are dropped and counted as send_failed in the map statistics.
	 */
	n = xdp_packet_dequeue_send(&fifo, 0, egress_ifindex, BUDGET, &bytes);
	if (n == BUDGET) {
		/* Run again, after the softirqs waiting. */
		bpf_timer_start(&t->timer, 0, 0);
	} else if (n < 0 && n != -EBUSY) {
		/* No device to send to (-ENODEV, -ENETUNREACH, -EOPNOTSUPP):
		 * no frame was taken and nothing starts the timer.
		 */
		bpf_timer_start(&t->timer, RETRY_NS, 0);
	}
	/* Otherwise the queue ran empty, and the map starts this timer when
	 * frames arrive; or the device reached its XDP TX limit, or its ring
	 * gave frames back, which do not count as taken (-EBUSY if it took
	 * none), and the completion that frees room starts it.
	 */
	return 0;
}

/* Run once by user space (BPF_PROG_TEST_RUN) before attaching. The timer
 * callback must be set by an XDP program (or an extension of one): only
 * then does it run in a bpf_net_context and may it send frames. Its first run finds the queue
 * empty and waits for frames.
 */
SEC("xdp")
int xdp_fifo_timer_init(struct xdp_md *ctx)
{
	struct fwd_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timer_map, &key);
	if (!t)
		return XDP_ABORTED;
	if (bpf_timer_init(&t->timer, &timer_map, CLOCK_MONOTONIC))
		return XDP_ABORTED;
	if (bpf_timer_set_callback(&t->timer, fwd_timer_cb))
		return XDP_ABORTED;
	if (bpf_timer_start(&t->timer, 0, 0))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp")
int xdp_fifo_enqueue(struct xdp_md *ctx)
{
	/* Refusals (queue full, no headroom) are counted in the map and
	 * reported on the xdp:xdp_redirect_map_err tracepoint.
	 */
	return bpf_redirect_map(&fifo, 0, 0);
}

char _license[] SEC("license") = "GPL";
