// SPDX-License-Identifier: GPL-2.0-only
/* XDP queue maps: BPF_MAP_TYPE_XDP_FIFO
 *
 * The FIFO map keeps map_extra sub-queues (0 means one), each a plain
 * FIFO list of frames. bpf_redirect_map(&map, subq, flags) appends the
 * frame to sub-queue subq; xdp_packet_dequeue() takes the oldest frame of
 * the sub-queue given in its flags. Ranks are always 0.
 *
 * This file only holds the FIFO's ordering callbacks over the list
 * operations of queue_map_fifo.h, its map_extra check and its map ops.
 * The map core, with the enqueue path, locking and lifetime rules, is in
 * queue_map.c; the ordering callbacks run under the map lock.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <net/xdp_queue.h>

#include "queue_map_fifo.h"

#define XDPQ_FIFO_MAX_SUBQ	65536

static int xdpq_fifo_init(struct xdpq_map *q, const union bpf_attr *attr,
			  int numa_node)
{
	struct list_head *heads;
	u32 i;

	heads = bpf_map_area_alloc((u64)q->nr_subq * sizeof(*heads), numa_node);
	if (!heads)
		return -ENOMEM;
	for (i = 0; i < q->nr_subq; i++)
		INIT_LIST_HEAD(&heads[i]);
	q->priv = heads;
	return 0;
}

static void xdpq_fifo_destroy(struct xdpq_map *q)
{
	bpf_map_area_free(q->priv);
}

static unsigned int xdpq_fifo_enqueue_batch(struct xdpq_map *q,
					    struct xdp_frame **frames,
					    unsigned int n)
{
	xdpq_fifo_push_bulk(q->priv, frames, n);
	return n;
}

static struct xdpq_node *xdpq_fifo_dequeue(struct xdpq_map *q, u32 subq)
{
	struct list_head *heads = q->priv;

	return xdpq_fifo_pop(&heads[subq]);
}

static unsigned int xdpq_fifo_dequeue_bulk(struct xdpq_map *q, u32 subq,
					   struct xdp_frame **frames,
					   unsigned int n, u64 max_bytes,
					   u64 *bytes)
{
	struct list_head *heads = q->priv;

	return xdpq_fifo_pop_bulk(&heads[subq], frames, n, max_bytes, bytes);
}

static bool xdpq_fifo_peek_rank(struct xdpq_map *q, u32 subq, u64 *rank)
{
	struct list_head *heads = q->priv;

	*rank = 0;
	return !list_empty(&heads[subq]);
}

static u64 xdpq_fifo_mem_usage(const struct xdpq_map *q)
{
	return (u64)q->nr_subq * sizeof(struct list_head);
}

static int xdpq_fifo_requeue(struct xdpq_map *q, struct xdpq_node *node)
{
	struct list_head *heads = q->priv;

	xdpq_fifo_push_head(&heads[node->subq], node);
	return 0;
}

static const struct xdpq_ops xdpq_fifo_ops = {
	.init		= xdpq_fifo_init,
	.destroy	= xdpq_fifo_destroy,
	.enqueue_batch	= xdpq_fifo_enqueue_batch,
	.dequeue	= xdpq_fifo_dequeue,
	.dequeue_bulk	= xdpq_fifo_dequeue_bulk,
	.requeue	= xdpq_fifo_requeue,
	.peek_rank	= xdpq_fifo_peek_rank,
	.mem_usage	= xdpq_fifo_mem_usage,
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
