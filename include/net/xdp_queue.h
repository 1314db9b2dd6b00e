/* SPDX-License-Identifier: GPL-2.0-only */
/* XDP queue maps: shared definitions of the queue map core (map storage,
 * per-CPU enqueue bulking, statistics) and the kfuncs that dequeue and
 * send queued frames. See kernel/bpf/queue_map_fifo.c for the design,
 * locking and lifetime rules.
 */
#ifndef __NET_XDP_QUEUE_H__
#define __NET_XDP_QUEUE_H__

#include <linux/bpf.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <net/xdp.h>

struct net;
struct xdpq_map;

/* Frames staged per CPU and map before the map lock is taken. */
#define XDPQ_BULK_SIZE 16

/* Per-frame bookkeeping. It lives in the frame's own headroom, right
 * after struct xdp_frame, so queueing a frame allocates nothing. It is
 * written at enqueue and is only valid while the frame belongs to a
 * queue map, i.e. from enqueue until the frame is sent or dropped.
 */
struct xdpq_node {
	struct list_head list;
	struct xdpq_map *map;	/* owning map, see xdpq_frame_map() */
	u64 rank;		/* 0 for FIFO maps */
	u32 subq;
};

/* Space a frame's headroom must provide, beyond struct xdp_frame, to be
 * queued: the node, plus any metadata that sits just before the data.
 */
static inline bool xdpq_frame_fits(const struct xdp_frame *xdpf)
{
	return xdpf->headroom >= xdpf->metasize + sizeof(struct xdpq_node);
}

static inline struct xdpq_node *xdpq_frame_node(struct xdp_frame *xdpf)
{
	return (struct xdpq_node *)(xdpf + 1);
}

static inline struct xdp_frame *xdpq_node_frame(struct xdpq_node *node)
{
	return (struct xdp_frame *)node - 1;
}

/* Ordering core of a queue map type. All callbacks but init/destroy run
 * with the map lock held; the map core does the capacity checks and the
 * accounting, so the ordering core only keeps frames in order.
 */
struct xdpq_ops {
	/* Allocate/free the per-sub-queue storage, q->nr_subq entries. */
	int (*init)(struct xdpq_map *q, int numa_node);
	void (*destroy)(struct xdpq_map *q);
	/* Insert n frames; node->subq and node->rank are set. */
	void (*enqueue_batch)(struct xdpq_map *q, struct xdp_frame **frames,
			      unsigned int n);
	/* Remove and return the head of sub-queue subq, or NULL if empty. */
	struct xdpq_node *(*dequeue)(struct xdpq_map *q, u32 subq);
	/* Rank of the head of sub-queue subq; false if empty. */
	bool (*peek_rank)(struct xdpq_map *q, u32 subq, u64 *rank);
};

/* Per sub-queue accounting, updated under the map lock. */
struct xdpq_subq_stats {
	u64 depth;
	u64 enqueued;
	u64 dequeued;
};

/* Map-wide counters bumped outside the map lock, per CPU. */
struct xdpq_pcpu_stats {
	u64_stats_t sent;
	u64_stats_t send_failed;
	u64_stats_t dropped;
	u64_stats_t drop_full;
	u64_stats_t drop_range;
	u64_stats_t drop_headroom;
	struct u64_stats_sync syncp;
};

/* Per-CPU staging of redirected frames, flushed by xdp_do_flush(). */
struct xdpq_bulk {
	struct xdp_frame *q[XDPQ_BULK_SIZE];
	struct list_head flush_node;
	struct xdpq_map *map;
	unsigned int count;
	struct xdpq_pcpu_stats stats;
};

struct xdpq_map {
	struct bpf_map map;
	const struct xdpq_ops *ops;
	spinlock_t lock;		/* protects the ordering core and subq_stats */
	u64 depth;			/* frames queued; written under lock */
	u64 enqueued;			/* map-wide totals, under lock */
	u64 dequeued;
	u32 nr_subq;
	struct net *net;		/* passive ref, for xdp_packet_send() */
	struct xdpq_bulk __percpu *bulk;
	struct xdpq_subq_stats *subq_stats;
	void *priv;			/* ordering core storage */
};

static inline struct xdpq_map *xdpq_frame_map(struct xdp_frame *xdpf)
{
	return xdpq_frame_node(xdpf)->map;
}

bool xdpq_is_queue_map(const struct bpf_map *map);
struct xdp_frame *xdpq_map_dequeue(struct bpf_map *map, u32 subq, u64 flags,
				   u64 *rank);

/* Bump a map-wide per-CPU counter; callers run with migration disabled. */
#define xdpq_count(q, field)						\
	do {								\
		struct xdpq_pcpu_stats *__s = &this_cpu_ptr((q)->bulk)->stats; \
									\
		u64_stats_update_begin(&__s->syncp);			\
		u64_stats_inc(&__s->field);				\
		u64_stats_update_end(&__s->syncp);			\
	} while (0)

#endif /* __NET_XDP_QUEUE_H__ */
