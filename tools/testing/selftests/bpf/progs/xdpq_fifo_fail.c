// SPDX-License-Identifier: GPL-2.0
/* Programs the verifier must refuse: every frame taken from a queue map
 * is sent or dropped exactly once, on every path, only XDP programs and
 * their timer callbacks may take them, and only from XDP queue maps; a
 * devmap program, which runs within a flush, may not flush.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"
#include "bpf_experimental.h"
#include "xdpq_kfuncs.h"

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} fifo SEC(".maps");

struct leak_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leak_timer);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} not_a_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} devmap SEC(".maps");

struct dequeue_work {
	struct bpf_wq work;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dequeue_work);
} works SEC(".maps");

SEC("xdp")
__success
int dequeue_send_drop_ok(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (!frame)
		return XDP_PASS;
	if (frame->len > 1000)
		xdp_packet_drop(frame);
	else
		xdp_packet_send(frame, 1, 0);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("Unreleased reference")
int leak_frame(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (frame && frame->len > 1000)
		xdp_packet_drop(frame);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("Possibly NULL pointer passed")
int unchecked_null(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	xdp_packet_drop(frame);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("invalid mem access 'scalar'")
int use_after_send(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (!frame)
		return XDP_PASS;
	xdp_packet_send(frame, 1, 0);
	return frame->len;
}

SEC("xdp")
__failure __msg("arg#0 pointer type STRUCT xdp_frame must point to scalar")
int double_drop(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (!frame)
		return XDP_PASS;
	xdp_packet_drop(frame);
	xdp_packet_drop(frame);
	return XDP_PASS;
}

static int leak_cb(void *map, __u32 *key, struct leak_timer *t)
{
	__u64 rank;

	xdp_packet_dequeue(&fifo, 0, &rank);
	return 0;
}

SEC("xdp")
__failure __msg("Unreleased reference")
int leak_in_timer_callback(struct xdp_md *ctx)
{
	struct leak_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_PASS;
	bpf_timer_init(&t->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, leak_cb);
	return XDP_PASS;
}

SEC("tc")
__failure __msg("calling kernel function xdp_packet_dequeue is not allowed")
int dequeue_from_tc(struct __sk_buff *skb)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (frame)
		xdp_packet_drop(frame);
	return 0;
}

SEC("xdp")
__failure __msg("arg#0 map_type 2 is not an XDP queue map")
int dequeue_from_array(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&not_a_queue, 0, &rank);
	if (frame)
		xdp_packet_drop(frame);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("arg#0 map_type 14 is not an XDP queue map")
int peek_devmap(struct xdp_md *ctx)
{
	__u64 rank;

	return xdp_packet_peek_rank(&devmap, 0, &rank) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
__failure __msg("arg#0 map_type 14 is not an XDP queue map")
int next_subq_of_devmap(struct xdp_md *ctx)
{
	return xdp_packet_next_subq(&devmap, 0, 1) >= 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
__failure __msg("arg#0 map_type 14 is not an XDP queue map")
int budget_of_devmap(struct xdp_md *ctx)
{
	return xdp_tx_budget(&devmap, 1) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
__failure __msg("arg#0 map_type 14 is not an XDP queue map")
int dequeue_send_of_devmap(struct xdp_md *ctx)
{
	__u64 bytes = ~0ULL;

	return xdp_packet_dequeue_send(&devmap, 0, 1, 1, &bytes) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
__failure __msg("arg#0 map_type 14 is not an XDP queue map")
int nr_queued_of_devmap(struct xdp_md *ctx)
{
	return xdp_packet_nr_queued(&devmap, 0) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
__failure __msg("invalid mem access 'scalar'")
int use_after_drop(struct xdp_md *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (!frame)
		return XDP_PASS;
	xdp_packet_drop(frame);
	return frame->len;
}

SEC("xdp")
__failure __msg("arg#0 pointer type STRUCT xdp_frame must point to scalar")
int drop_unowned_frame(struct xdp_md *ctx)
{
	/* Not from xdp_packet_dequeue(): the program's own context. */
	xdp_packet_drop((struct xdp_frame *)ctx);
	return XDP_PASS;
}

static int dequeue_in_wq(void *map, int *key, void *value)
{
	struct xdp_frame *frame;
	__u64 rank;

	frame = xdp_packet_dequeue(&fifo, 0, &rank);
	if (frame)
		xdp_packet_drop(frame);
	return 0;
}

/* Run cb from a workqueue, a sleepable context. */
static __always_inline int run_in_wq(int (*cb)(void *map, int *key, void *value))
{
	struct dequeue_work *w;
	__u32 key = 0;

	w = bpf_map_lookup_elem(&works, &key);
	if (!w || bpf_wq_init(&w->work, &works, 0) ||
	    bpf_wq_set_callback(&w->work, cb, 0))
		return XDP_PASS;
	bpf_wq_start(&w->work, 0);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("kfunc xdp_packet_dequeue cannot be called from a sleepable context")
int dequeue_from_workqueue(struct xdp_md *ctx)
{
	return run_in_wq(dequeue_in_wq);
}

static int dequeue_send_in_wq(void *map, int *key, void *value)
{
	__u64 bytes = ~0ULL;

	xdp_packet_dequeue_send(&fifo, 0, 1, 1, &bytes);
	return 0;
}

SEC("xdp")
__failure __msg("kfunc xdp_packet_dequeue_send cannot be called from a sleepable context")
int dequeue_send_from_workqueue(struct xdp_md *ctx)
{
	return run_in_wq(dequeue_send_in_wq);
}

SEC("xdp")
__failure __msg("cannot pass map_type 34 into func bpf_map_lookup_elem")
int lookup_from_bpf(struct xdp_md *ctx)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&fifo, &key) ? XDP_PASS : XDP_DROP;
}

SEC("xdp/devmap")
__failure __msg("calling kernel function xdp_packet_flush is not allowed")
int flush_from_devmap_prog(struct xdp_md *ctx)
{
	xdp_packet_flush();
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
