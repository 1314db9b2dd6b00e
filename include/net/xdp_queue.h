/* SPDX-License-Identifier: GPL-2.0-only */
/* XDP queue maps: shared definitions of the queue map core (map storage,
 * per-CPU enqueue bulking, statistics), the ordering cores and the kfuncs
 * that dequeue and send queued frames. See kernel/bpf/queue_map.c for the
 * design, locking and lifetime rules, and kernel/bpf/queue_map_{fifo,pifo,
 * rbtree}.c for the ordering of each map type.
 */
#ifndef __NET_XDP_QUEUE_H__
#define __NET_XDP_QUEUE_H__

#include <linux/bpf.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <net/xdp.h>

struct net;
struct xdpq_map;

/* Frames staged per CPU and map before the map lock is taken: half a NAPI
 * budget, so that a full poll's first flush wakes a waiting scheduler
 * while the poll goes on.
 */
#define XDPQ_BULK_SIZE 32

/* Per-frame bookkeeping. It lives in the frame's own headroom, right
 * after struct xdp_frame, so queueing a frame allocates nothing. It is
 * written at enqueue and is only valid while the frame belongs to a
 * queue map, i.e. from enqueue until the frame is sent or dropped. On
 * 64-bit it takes 48 bytes: with the 40 byte xdp_frame and the room kept
 * below the data (see xdpq_frame_fits()), a queued frame needs 120 bytes
 * of the usual XDP_PACKET_HEADROOM (256) with up to 32 bytes of metadata.
 */
struct xdpq_node {
	struct rb_node rb;	/* rbtree map */
	struct xdpq_map *map;	/* owning map, see xdpq_frame_map() */
	u64 rank;		/* 0 for FIFO maps; as queued for rank maps */
	u32 subq;		/* 0 for rank ordered maps */
	u32 flags;		/* BPF_F_RANK_STRICT from bpf_redirect_map() */
};

/* Bytes below the data that a device may write into when it is handed a
 * frame, even one its full ring then gives back to the queue: virtio-net
 * writes its 12 to 20 byte header there.
 */
#define XDPQ_TX_HEADER_MAX 32

/* Space a frame's headroom must provide, beyond struct xdp_frame, to be
 * queued: the node, and below the data whichever is larger of the
 * metadata and what a device may write there, so that neither overlaps
 * the node.
 */
static inline bool xdpq_frame_fits(const struct xdp_frame *xdpf)
{
	return xdpf->headroom >= sizeof(struct xdpq_node) +
				 max_t(u32, xdpf->metasize, XDPQ_TX_HEADER_MAX);
}

static inline struct xdpq_node *xdpq_frame_node(struct xdp_frame *xdpf)
{
	return (struct xdpq_node *)(xdpf + 1);
}

static inline struct xdp_frame *xdpq_node_frame(struct xdpq_node *node)
{
	return (struct xdp_frame *)node - 1;
}

/* What a bulk dequeue took, summed up as it takes the frames, so that
 * its caller need not go over them again: the bytes (counted on from
 * what the caller had taken before, against its budget), and for the
 * checks of the device the frames go to (xdp_dequeue.c), the longest
 * frame->len and the frames' flags ORed.
 */
struct xdpq_bulk_sum {
	u64 bytes;
	u32 max_len;
	u32 flags;
};

static inline void xdpq_bulk_sum_add(struct xdpq_bulk_sum *sum,
				     const struct xdp_frame *frame)
{
	sum->bytes += frame->len;
	sum->max_len = max(sum->max_len, frame->len);
	sum->flags |= frame->flags;
}

/* Ordering core of a queue map type. enqueue_batch, dequeue and
 * peek_rank run with the map lock held; the map core does the capacity
 * checks and the accounting, so the ordering core only keeps frames in
 * order.
 */
struct xdpq_ops {
	/* Allocate/free the ordering storage; attr was checked already. */
	int (*init)(struct xdpq_map *q, const union bpf_attr *attr,
		    int numa_node);
	void (*destroy)(struct xdpq_map *q);
	/* Optional, lockless: may refuse a redirect before the frame is
	 * staged. key is the bpf_redirect_map() key, flags the flags the
	 * map's map_redirect kept of it (BPF_F_RANK_STRICT), only asked
	 * about when there are some.
	 */
	int (*admit)(struct xdpq_map *q, u64 key, u32 flags);
	/* Insert n frames; node->subq, node->rank and node->flags are set.
	 * Returns the number of frames inserted. Frames the core refuses
	 * (rank out of range) are moved behind the inserted ones and are
	 * dropped by the map core.
	 */
	unsigned int (*enqueue_batch)(struct xdpq_map *q,
				      struct xdp_frame **frames,
				      unsigned int n);
	/* Remove and return the head of sub-queue subq, or NULL if empty. */
	struct xdpq_node *(*dequeue)(struct xdpq_map *q, u32 subq);
	/* Remove up to n heads of sub-queue subq into frames, in order,
	 * adding them to *sum, each while sum->bytes is still below
	 * max_bytes (the last may take it past); return how many.
	 */
	unsigned int (*dequeue_bulk)(struct xdpq_map *q, u32 subq,
				     struct xdp_frame **frames, unsigned int n,
				     u64 max_bytes, struct xdpq_bulk_sum *sum);
	/* Put a node dequeue() or dequeue_bulk() returned back at the head
	 * of its sub-queue, ahead of the frames of equal rank. Also when the
	 * map is full: -ENOMEM only if it needed memory and found none.
	 */
	int (*requeue)(struct xdpq_map *q, struct xdpq_node *node);
	/* Rank of the head of sub-queue subq; false if empty. */
	bool (*peek_rank)(struct xdpq_map *q, u32 subq, u64 *rank);
	/* Bytes of ordering storage, for map_mem_usage. */
	u64 (*mem_usage)(const struct xdpq_map *q);
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
	struct list_head waiters;	/* timers to start when frames arrive; under lock */
	struct net *net;		/* passive ref, for xdp_packet_send() */
	struct xdpq_bulk __percpu *bulk;
	struct xdpq_subq_stats *subq_stats;
	unsigned long *busy;		/* sub-queues with frames; under lock */
	void *priv;			/* ordering core storage */
};

/* The verifier lets only these maps into the kfuncs that take one. */
static inline bool xdpq_is_queue_map(const struct bpf_map *map)
{
	switch (map->map_type) {
	case BPF_MAP_TYPE_XDP_FIFO:
	case BPF_MAP_TYPE_XDP_PIFO:
	case BPF_MAP_TYPE_XDP_RBTREE:
		return true;
	default:
		return false;
	}
}

static inline struct xdpq_map *xdpq_frame_map(struct xdp_frame *xdpf)
{
	return xdpq_frame_node(xdpf)->map;
}

struct xdp_frame *xdpq_map_dequeue(struct bpf_map *map, u32 subq, u64 flags,
				   u64 *rank);
int xdpq_map_dequeue_bulk(struct bpf_map *map, u32 subq,
			  struct xdp_frame **frames, unsigned int n,
			  u64 max_bytes, struct xdpq_bulk_sum *sum);
void xdpq_map_requeue(struct xdp_frame *xdpf);
int xdpq_map_peek_rank(struct bpf_map *map, u32 subq, u64 *rank);
int xdpq_map_next_subq(struct bpf_map *map, u32 from, u32 to);
s64 xdpq_map_nr_queued(struct bpf_map *map, u32 subq);

/* Timers of schedulers waiting for frames or for room (xdp_dequeue.c) */
void xdp_timer_waiter_add(struct list_head *waiters,
			  struct bpf_map *timer_map, void *timer_value);
void __xdp_timer_waiters_wake(struct list_head *waiters);

/* Most flushes and completions find no one waiting: no call for them. */
static inline void xdp_timer_waiters_wake(struct list_head *waiters)
{
	if (!list_empty(waiters))
		__xdp_timer_waiters_wake(waiters);
}

/* Map core helpers for the map type files (kernel/bpf/queue_map_*.c). */
int xdpq_map_alloc_check(union bpf_attr *attr);
struct bpf_map *xdpq_map_alloc(union bpf_attr *attr,
			       const struct xdpq_ops *ops, u32 nr_subq);
void xdpq_map_free(struct bpf_map *map);
int xdpq_map_get_next_key(struct bpf_map *map, void *key, void *next_key);
void *xdpq_map_lookup_elem(struct bpf_map *map, void *key);
long xdpq_map_update_elem(struct bpf_map *map, void *key, void *value,
			  u64 flags);
long xdpq_map_delete_elem(struct bpf_map *map, void *key);
long xdpq_map_redirect(struct bpf_map *map, u64 key, u64 flags);
long xdpq_map_redirect_strict(struct bpf_map *map, u64 key, u64 flags);
u64 xdpq_map_mem_usage(const struct bpf_map *map);
extern u32 xdpq_map_btf_ids[];

/* The chunks of frame pointers of the ordering cores that keep their
 * frames in chunks (kernel/bpf/queue_map_chunk.h), allocated with the map.
 */
struct xdpq_chunk_pool;
int xdpq_chunk_pool_alloc(struct xdpq_chunk_pool *pool, u32 nframes,
			  u32 nlists, int numa_node);
int xdpq_chunk_pool_reserve(struct xdpq_map *q, struct xdpq_chunk_pool *pool);
void xdpq_chunk_pool_free(struct xdpq_chunk_pool *pool);
u64 xdpq_chunk_pool_mem_usage(const struct xdpq_chunk_pool *pool);

static inline struct xdpq_map *xdpq_map(struct bpf_map *map)
{
	return container_of(map, struct xdpq_map, map);
}

/* Add to a map-wide per-CPU counter; callers run with migration disabled. */
#define xdpq_add(q, field, n)						\
	do {								\
		struct xdpq_pcpu_stats *__s = &this_cpu_ptr((q)->bulk)->stats; \
									\
		u64_stats_update_begin(&__s->syncp);			\
		u64_stats_add(&__s->field, n);				\
		u64_stats_update_end(&__s->syncp);			\
	} while (0)

#define xdpq_count(q, field)	xdpq_add(q, field, 1)

#endif /* __NET_XDP_QUEUE_H__ */
