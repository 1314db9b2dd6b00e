// SPDX-License-Identifier: GPL-2.0-only
/* XDP queue maps: BPF_MAP_TYPE_XDP_FIFO
 *
 * The FIFO map keeps map_extra sub-queues (0 means one), each a plain
 * FIFO of frames. bpf_redirect_map(&map, subq, flags) appends the frame
 * to sub-queue subq; xdp_packet_dequeue() takes the oldest frame of the
 * sub-queue given in its flags. Ranks are always 0.
 *
 * This file only holds the map glue, which allocates the core's chunks of
 * frame pointers for max_entries frames with the map; the ordering core
 * is in queue_map_fifo.h, and the map core with the enqueue path, locking
 * and lifetime rules in queue_map.c. The ordering callbacks run under the
 * map lock.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <net/xdp_queue.h>

#include "queue_map_fifo.h"

#define XDPQ_FIFO_MAX_SUBQ	65536

static struct xdpq_fifo *xdpq_fifo(const struct xdpq_map *q)
{
	return q->priv;
}

static void xdpq_fifo_map_free(struct xdpq_fifo *f)
{
	xdpq_chunk_pool_free(&f->chunks);
	bpf_map_area_free(f->subqs);
	bpf_map_area_free(f);
}

static int xdpq_fifo_map_init(struct xdpq_map *q, const union bpf_attr *attr,
			      int numa_node)
{
	struct xdpq_chunk_list *subqs;
	struct xdpq_fifo *f;

	f = bpf_map_area_alloc(sizeof(*f), numa_node);
	if (!f)
		return -ENOMEM;
	/* Zeroed: empty sub-queues; also what the error path frees */
	subqs = bpf_map_area_alloc((u64)q->nr_subq * sizeof(*subqs),
				   numa_node);
	xdpq_fifo_init(f, subqs, q->nr_subq);
	if (!subqs ||
	    xdpq_chunk_pool_alloc(&f->chunks, attr->max_entries, q->nr_subq,
				  numa_node)) {
		xdpq_fifo_map_free(f);
		return -ENOMEM;
	}
	q->priv = f;
	return 0;
}

static void xdpq_fifo_map_destroy(struct xdpq_map *q)
{
	xdpq_fifo_map_free(xdpq_fifo(q));
}

static unsigned int xdpq_fifo_map_enqueue_batch(struct xdpq_map *q,
						struct xdp_frame **frames,
						unsigned int n)
{
	unsigned int queued = xdpq_fifo_push_bulk(xdpq_fifo(q), frames, n);

	/* The chunks cover max_entries, which the map core checked */
	WARN_ON_ONCE(queued < n);
	return queued;
}

static struct xdpq_node *xdpq_fifo_map_dequeue(struct xdpq_map *q, u32 subq)
{
	struct xdp_frame *frame = xdpq_fifo_pop(xdpq_fifo(q), subq);

	return frame ? xdpq_frame_node(frame) : NULL;
}

static unsigned int xdpq_fifo_map_dequeue_bulk(struct xdpq_map *q, u32 subq,
					       struct xdp_frame **frames,
					       unsigned int n, u64 max_bytes,
					       struct xdpq_bulk_sum *sum)
{
	return xdpq_fifo_pop_bulk(xdpq_fifo(q), subq, frames, n, max_bytes,
				  sum);
}

static bool xdpq_fifo_map_peek_rank(struct xdpq_map *q, u32 subq, u64 *rank)
{
	*rank = 0;
	return !xdpq_fifo_empty(xdpq_fifo(q), subq);
}

static u64 xdpq_fifo_map_mem_usage(const struct xdpq_map *q)
{
	const struct xdpq_fifo *f = xdpq_fifo(q);

	return sizeof(*f) + (u64)f->nr_subq * sizeof(*f->subqs) +
	       xdpq_chunk_pool_mem_usage(&f->chunks);
}

/* As for the PIFO: a frame given back while the map is full may need a
 * chunk beyond those for max_entries frames; only then may it fail.
 */
static int xdpq_fifo_map_requeue(struct xdpq_map *q, struct xdpq_node *node)
{
	struct xdpq_fifo *f = xdpq_fifo(q);

	if (unlikely(xdpq_chunk_head_full(&f->subqs[node->subq]) &&
		     xdpq_chunk_pool_reserve(q, &f->chunks)))
		return -ENOMEM;
	xdpq_fifo_push_head(f, node->subq, xdpq_node_frame(node));
	return 0;
}

static const struct xdpq_ops xdpq_fifo_ops = {
	.init		= xdpq_fifo_map_init,
	.destroy	= xdpq_fifo_map_destroy,
	.enqueue_batch	= xdpq_fifo_map_enqueue_batch,
	.dequeue	= xdpq_fifo_map_dequeue,
	.dequeue_bulk	= xdpq_fifo_map_dequeue_bulk,
	.requeue	= xdpq_fifo_map_requeue,
	.peek_rank	= xdpq_fifo_map_peek_rank,
	.mem_usage	= xdpq_fifo_map_mem_usage,
};

static int xdpq_fifo_map_alloc_check(union bpf_attr *attr)
{
	int err = xdpq_map_alloc_check(attr);

	if (err)
		return err;
	if (attr->map_extra > XDPQ_FIFO_MAX_SUBQ)
		return -E2BIG;
	return 0;
}

static struct bpf_map *xdpq_fifo_map_alloc(union bpf_attr *attr)
{
	return xdpq_map_alloc(attr, &xdpq_fifo_ops, attr->map_extra ?: 1);
}

const struct bpf_map_ops xdp_fifo_map_ops = {
	.map_meta_equal = bpf_map_meta_equal,
	.map_alloc_check = xdpq_fifo_map_alloc_check,
	.map_alloc = xdpq_fifo_map_alloc,
	.map_free = xdpq_map_free,
	.map_get_next_key = xdpq_map_get_next_key,
	.map_lookup_elem = xdpq_map_lookup_elem,
	.map_update_elem = xdpq_map_update_elem,
	.map_delete_elem = xdpq_map_delete_elem,
	.map_check_btf = map_check_no_btf,
	.map_mem_usage = xdpq_map_mem_usage,
	.map_btf_id = &xdpq_map_btf_ids[0],
	.map_redirect = xdpq_map_redirect,
};
