// SPDX-License-Identifier: GPL-2.0
/* The rank ordered queue maps driven from user space: xdp_enqueue_*
 * queue frame number id_base + i with the rank user space put in ranks[i],
 * xdp_dequeue_* take up to dequeue_budget frames (optionally only those
 * due by a rank bound) and report their numbers and ranks, xdp_peek_*
 * report the head's rank.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "xdpq_kfuncs.h"

#define MAX_BURST 1024

struct {
	__uint(type, BPF_MAP_TYPE_XDP_PIFO);
	__uint(max_entries, 16384);
	__uint(map_extra, 256);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} pifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XDP_RBTREE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} rbtree SEC(".maps");

__u64 ranks[MAX_BURST];		/* in: rank of the i-th frame of a burst */
__u32 id_base;			/* in: number of the burst's first frame */
__u64 enqueue_flags;		/* in: bpf_redirect_map() flags */
__u32 burst_pos;		/* the burst's next frame */

__u32 dequeue_budget;		/* in */
__u64 dequeue_bound;		/* in: with XDPQ_DEQUEUE_RANK_LE */
__u64 dequeue_flags;		/* in */
__u32 out_n;			/* out: frames dequeued */
__u32 out_id[MAX_BURST];	/* out */
__u64 out_rank[MAX_BURST];	/* out */
__u64 read_errors;

int peek_ret;			/* out */
__u64 peek_rank;		/* out */

static int enqueue(struct xdp_md *ctx, void *map)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 *id = data + XDPQ_SEQ_OFF;
	__u32 i = burst_pos++;

	if ((void *)(id + 1) > data_end || i >= MAX_BURST)
		return XDP_ABORTED;
	*id = id_base + i;
	return bpf_redirect_map(map, ranks[i], enqueue_flags);
}

static int dequeue_one(void *map)
{
	struct xdp_frame *frame;
	__u64 rank = dequeue_bound;
	__u32 id, n = out_n;

	if (n >= MAX_BURST || n >= dequeue_budget)
		return 1;
	frame = xdp_packet_dequeue(map, dequeue_flags, &rank);
	if (!frame)
		return 1;
	if (xdp_packet_load_bytes(frame, XDPQ_SEQ_OFF, &id, sizeof(id)))
		read_errors++;
	out_id[n] = id;
	out_rank[n] = rank;
	out_n = n + 1;
	xdp_packet_drop(frame);
	return 0;
}

static int dequeue_pifo_cb(__u64 i, void *ctx)
{
	return dequeue_one(&pifo);
}

static int dequeue_rbtree_cb(__u64 i, void *ctx)
{
	return dequeue_one(&rbtree);
}

SEC("xdp")
int xdp_enqueue_pifo(struct xdp_md *ctx)
{
	return enqueue(ctx, &pifo);
}

SEC("xdp")
int xdp_enqueue_rbtree(struct xdp_md *ctx)
{
	return enqueue(ctx, &rbtree);
}

SEC("xdp")
int xdp_dequeue_pifo(struct xdp_md *ctx)
{
	out_n = 0;
	bpf_loop(MAX_BURST, dequeue_pifo_cb, NULL, 0);
	return XDP_DROP;
}

SEC("xdp")
int xdp_dequeue_rbtree(struct xdp_md *ctx)
{
	out_n = 0;
	bpf_loop(MAX_BURST, dequeue_rbtree_cb, NULL, 0);
	return XDP_DROP;
}

SEC("xdp")
int xdp_peek_pifo(struct xdp_md *ctx)
{
	peek_ret = xdp_packet_peek_rank(&pifo, 0, &peek_rank);
	return XDP_DROP;
}

SEC("xdp")
int xdp_peek_rbtree(struct xdp_md *ctx)
{
	peek_ret = xdp_packet_peek_rank(&rbtree, 0, &peek_rank);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";

/* Many producers: the rank is a function of an atomically taken frame
 * number, so producers on several CPUs need no shared burst state.
 */
__u32 next_id;

static __always_inline __u64 hashed_rank(__u32 id)
{
	return (id * 2654435761U) % 1000;
}

static int enqueue_hashed(struct xdp_md *ctx, void *map)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 *p = data + XDPQ_SEQ_OFF, id;

	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	id = __sync_fetch_and_add(&next_id, 1);
	*p = id;
	return bpf_redirect_map(map, hashed_rank(id), 0);
}

SEC("xdp")
int xdp_enqueue_hashed_pifo(struct xdp_md *ctx)
{
	return enqueue_hashed(ctx, &pifo);
}

SEC("xdp")
int xdp_enqueue_hashed_rbtree(struct xdp_md *ctx)
{
	return enqueue_hashed(ctx, &rbtree);
}
