// SPDX-License-Identifier: GPL-2.0-only
/* XDP queue maps: BPF_MAP_TYPE_XDP_RBTREE
 *
 * A rank ordered queue with exact ordering of arbitrary 64-bit ranks.
 * bpf_redirect_map(&map, rank, flags) queues the frame at rank;
 * xdp_packet_dequeue() takes the frame with the lowest rank, in arrival
 * order among equal ranks. Unlike the PIFO map there is no window, so
 * ranks may move in any direction, at O(log n) per operation instead of
 * O(1). map_extra must be 0; max_entries bounds the tree, as for every
 * queue map. There is a single sub-queue, 0.
 *
 * This file only holds the map glue; the ordering core is in
 * queue_map_rbtree.h, and the map core with the enqueue path, locking and
 * lifetime rules in queue_map.c. The ordering callbacks run under the map
 * lock.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <net/xdp_queue.h>

#include "queue_map_rbtree.h"

static struct xdpq_rbtree *xdpq_rbtree(const struct xdpq_map *q)
{
	return q->priv;
}

static int xdpq_rbtree_map_init(struct xdpq_map *q, const union bpf_attr *attr,
				int numa_node)
{
	struct xdpq_rbtree *t;

	t = bpf_map_area_alloc(sizeof(*t), numa_node);
	if (!t)
		return -ENOMEM;
	xdpq_rbtree_init(t);
	q->priv = t;
	return 0;
}

static void xdpq_rbtree_map_destroy(struct xdpq_map *q)
{
	bpf_map_area_free(q->priv);
}

static unsigned int xdpq_rbtree_map_enqueue_batch(struct xdpq_map *q,
						  struct xdp_frame **frames,
						  unsigned int n)
{
	struct xdpq_rbtree *t = xdpq_rbtree(q);
	unsigned int i;

	for (i = 0; i < n; i++)
		xdpq_rbtree_push(t, xdpq_frame_node(frames[i]));
	return n;
}

static struct xdpq_node *xdpq_rbtree_map_dequeue(struct xdpq_map *q, u32 subq)
{
	return xdpq_rbtree_pop(xdpq_rbtree(q));
}

/* The sum is kept in a local, as the other cores do: for the compiler,
 * rb_erase() and the stores of frame pointers could change *bulk, which
 * it would then load and store again for every frame.
 */
static unsigned int xdpq_rbtree_map_dequeue_bulk(struct xdpq_map *q, u32 subq,
						 struct xdp_frame **frames,
						 unsigned int n, u64 max_bytes,
						 struct xdpq_bulk_sum *bulk)
{
	struct xdpq_rbtree *t = xdpq_rbtree(q);
	struct xdpq_bulk_sum sum = *bulk;
	struct xdpq_node *node;
	unsigned int i;

	for (i = 0; i < n && sum.bytes < max_bytes; i++) {
		node = xdpq_rbtree_pop(t);
		if (!node)
			break;
		frames[i] = xdpq_node_frame(node);
		xdpq_bulk_sum_add(&sum, frames[i]);
	}
	*bulk = sum;
	return i;
}

static int xdpq_rbtree_map_requeue(struct xdpq_map *q, struct xdpq_node *node)
{
	xdpq_rbtree_push_head(xdpq_rbtree(q), node);
	return 0;
}

static bool xdpq_rbtree_map_peek_rank(struct xdpq_map *q, u32 subq, u64 *rank)
{
	return xdpq_rbtree_peek(xdpq_rbtree(q), rank);
}

static u64 xdpq_rbtree_map_mem_usage(const struct xdpq_map *q)
{
	return sizeof(struct xdpq_rbtree);
}

static const struct xdpq_ops xdpq_rbtree_ops = {
	.init		= xdpq_rbtree_map_init,
	.destroy	= xdpq_rbtree_map_destroy,
	.enqueue_batch	= xdpq_rbtree_map_enqueue_batch,
	.dequeue	= xdpq_rbtree_map_dequeue,
	.dequeue_bulk	= xdpq_rbtree_map_dequeue_bulk,
	.requeue	= xdpq_rbtree_map_requeue,
	.peek_rank	= xdpq_rbtree_map_peek_rank,
	.mem_usage	= xdpq_rbtree_map_mem_usage,
};

static int xdpq_rbtree_map_alloc_check(union bpf_attr *attr)
{
	int err = xdpq_map_alloc_check(attr);

	if (err)
		return err;
	if (attr->map_extra)
		return -EINVAL;
	return 0;
}

static struct bpf_map *xdpq_rbtree_map_alloc(union bpf_attr *attr)
{
	return xdpq_map_alloc(attr, &xdpq_rbtree_ops, 1);
}

const struct bpf_map_ops xdp_rbtree_map_ops = {
	.map_meta_equal = bpf_map_meta_equal,
	.map_alloc_check = xdpq_rbtree_map_alloc_check,
	.map_alloc = xdpq_rbtree_map_alloc,
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
