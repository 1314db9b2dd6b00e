// SPDX-License-Identifier: GPL-2.0-only
/* XDP queue maps: BPF_MAP_TYPE_XDP_PIFO
 *
 * A rank ordered queue for ranks that move forward, e.g. virtual finish
 * times or transmit timestamps. bpf_redirect_map(&map, rank, flags) queues
 * the frame at the 64-bit rank; xdp_packet_dequeue() takes the frame with
 * the lowest rank, in arrival order among equal ranks.
 *
 * map_extra is the window length: the number of buckets, one per rank,
 * a power of two from 1 to XDPQ_PIFO_MAX_BUCKETS (1 << 20); 0, or not a
 * power of two, is -EINVAL, more is -E2BIG. The window starts at rank 0
 * and only moves when a frame is queued outside it, so ranks that stay
 * within nbuckets of each other, e.g. strict priorities 0..nbuckets - 1,
 * are ordered exactly; the rules are in queue_map_pifo.h. In short: a rank
 * beyond the window slides it up, but not past the lowest queued rank; a
 * rank still beyond it is clamped to the last bucket, or with
 * BPF_F_RANK_STRICT in the bpf_redirect_map() flags the redirect fails
 * with -ERANGE (counted in drop_range); a rank below the window is due now
 * and takes the rank of the window start. The rank reported by peek and
 * dequeue is the rank the frame was queued at after this adjustment.
 *
 * The strict range check is made at redirect time against the lowest
 * queued rank as last seen, without the map lock, and again at flush time
 * under the lock; a frame whose rank fell out of reach in between (a lower
 * rank was queued, or the queue drained and restarted at a lower rank) is
 * dropped at flush and counted in drop_range, like frames that find the
 * map full.
 *
 * There is a single sub-queue, 0. This file only holds the map glue, which
 * allocates the core's chunks of frame pointers for max_entries frames with
 * the map; the ordering core is in queue_map_pifo.h, and the map core with
 * the enqueue path, locking and lifetime rules in queue_map.c. The ordering
 * callbacks run under the map lock.
 */
#include <linux/bpf.h>
#include <net/xdp_queue.h>

#include "queue_map_pifo.h"

static struct xdpq_pifo *xdpq_pifo(const struct xdpq_map *q)
{
	return q->priv;
}

static void xdpq_pifo_map_free(struct xdpq_pifo *p)
{
	xdpq_chunk_pool_free(&p->chunks);
	bpf_map_area_free(p->bitmap);
	bpf_map_area_free(p->buckets);
	bpf_map_area_free(p);
}

static int xdpq_pifo_map_init(struct xdpq_map *q, const union bpf_attr *attr,
			      int numa_node)
{
	u32 nbuckets = attr->map_extra;
	u32 words = xdpq_pifo_layout(NULL, nbuckets);
	struct xdpq_chunk_list *buckets;
	struct xdpq_pifo *p;
	u64 *bitmap;

	p = bpf_map_area_alloc(sizeof(*p), numa_node);
	if (!p)
		return -ENOMEM;
	buckets = bpf_map_area_alloc((u64)nbuckets * sizeof(*buckets),
				     numa_node);
	bitmap = bpf_map_area_alloc((u64)words * sizeof(*bitmap), numa_node);
	/* Zeroed: empty buckets and bitmap; also what the error path frees */
	xdpq_pifo_init(p, buckets, bitmap, nbuckets);
	if (!buckets || !bitmap ||
	    xdpq_chunk_pool_alloc(&p->chunks, attr->max_entries, nbuckets,
				  numa_node)) {
		xdpq_pifo_map_free(p);
		return -ENOMEM;
	}
	q->priv = p;
	return 0;
}

static void xdpq_pifo_map_destroy(struct xdpq_map *q)
{
	xdpq_pifo_map_free(xdpq_pifo(q));
}

static int xdpq_pifo_map_admit(struct xdpq_map *q, u64 rank, u32 flags)
{
	if ((flags & BPF_F_RANK_STRICT) && READ_ONCE(q->depth) &&
	    xdpq_pifo_beyond(xdpq_pifo(q), rank))
		return -ERANGE;
	return 0;
}

static unsigned int xdpq_pifo_map_enqueue_batch(struct xdpq_map *q,
						struct xdp_frame **frames,
						unsigned int n)
{
	return xdpq_pifo_push_bulk(xdpq_pifo(q), frames, n);
}

static struct xdpq_node *xdpq_pifo_map_dequeue(struct xdpq_map *q, u32 subq)
{
	struct xdp_frame *frame;
	u64 rank;

	/* node->rank is the effective rank already, set at the push */
	frame = xdpq_pifo_pop(xdpq_pifo(q), &rank);
	return frame ? xdpq_frame_node(frame) : NULL;
}

static unsigned int xdpq_pifo_map_dequeue_bulk(struct xdpq_map *q, u32 subq,
					       struct xdp_frame **frames,
					       unsigned int n, u64 max_bytes,
					       struct xdpq_bulk_sum *sum)
{
	return xdpq_pifo_pop_bulk(xdpq_pifo(q), frames, n, max_bytes, sum);
}

static bool xdpq_pifo_map_peek_rank(struct xdpq_map *q, u32 subq, u64 *rank)
{
	return xdpq_pifo_peek(xdpq_pifo(q), rank);
}

static u64 xdpq_pifo_map_mem_usage(const struct xdpq_map *q)
{
	const struct xdpq_pifo *p = xdpq_pifo(q);

	return sizeof(*p) +
	       (u64)p->nbuckets * sizeof(*p->buckets) +
	       (u64)xdpq_pifo_layout(NULL, p->nbuckets) * sizeof(u64) +
	       xdpq_chunk_pool_mem_usage(&p->chunks);
}

/* A frame given back while the map is full may need a chunk beyond those
 * for max_entries frames; only if none can be had is it refused, for the
 * map core to drop.
 */
static int xdpq_pifo_map_requeue(struct xdpq_map *q, struct xdpq_node *node)
{
	struct xdpq_pifo *p = xdpq_pifo(q);

	if (unlikely(xdpq_chunk_pool_reserve(q, &p->chunks)))
		return -ENOMEM;
	node->rank = xdpq_pifo_push_head(p, xdpq_node_frame(node), node->rank);
	return 0;
}

static const struct xdpq_ops xdpq_pifo_ops = {
	.init		= xdpq_pifo_map_init,
	.destroy	= xdpq_pifo_map_destroy,
	.admit		= xdpq_pifo_map_admit,
	.enqueue_batch	= xdpq_pifo_map_enqueue_batch,
	.dequeue	= xdpq_pifo_map_dequeue,
	.dequeue_bulk	= xdpq_pifo_map_dequeue_bulk,
	.requeue	= xdpq_pifo_map_requeue,
	.peek_rank	= xdpq_pifo_map_peek_rank,
	.mem_usage	= xdpq_pifo_map_mem_usage,
};

static int xdpq_pifo_map_alloc_check(union bpf_attr *attr)
{
	int err = xdpq_map_alloc_check(attr);

	if (err)
		return err;
	if (!attr->map_extra)
		return -EINVAL;
	if (attr->map_extra > XDPQ_PIFO_MAX_BUCKETS)
		return -E2BIG;
	if (!is_power_of_2(attr->map_extra))
		return -EINVAL;
	return 0;
}

static struct bpf_map *xdpq_pifo_map_alloc(union bpf_attr *attr)
{
	return xdpq_map_alloc(attr, &xdpq_pifo_ops, 1);
}

const struct bpf_map_ops xdp_pifo_map_ops = {
	.map_meta_equal = bpf_map_meta_equal,
	.map_alloc_check = xdpq_pifo_map_alloc_check,
	.map_alloc = xdpq_pifo_map_alloc,
	.map_free = xdpq_map_free,
	.map_get_next_key = xdpq_map_get_next_key,
	.map_lookup_elem = xdpq_map_lookup_elem,
	.map_update_elem = xdpq_map_update_elem,
	.map_delete_elem = xdpq_map_delete_elem,
	.map_check_btf = map_check_no_btf,
	.map_mem_usage = xdpq_map_mem_usage,
	.map_btf_id = &xdpq_map_btf_ids[0],
	.map_redirect = xdpq_map_redirect_strict,
};
