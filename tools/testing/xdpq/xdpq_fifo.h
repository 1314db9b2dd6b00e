/* SPDX-License-Identifier: GPL-2.0-only */
/* The ordering core of BPF_MAP_TYPE_XDP_FIFO, for user space.
 *
 * kernel/bpf/queue_map_fifo.c keeps its core inside the map file, next to
 * the kernel allocations: a sub-queue is a list_head, enqueue is
 * list_add_tail(), dequeue list_del() of the first entry and requeue
 * list_add(), each on the struct xdpq_node in the frame. These restate
 * those three calls so that the benchmark and the fuzzer time and check
 * the same list operations on the same node layout as the map.
 */
#ifndef __XDPQ_FIFO_H__
#define __XDPQ_FIFO_H__

#include <linux/list.h>
#include <net/xdp_queue.h>

static inline void xdpq_fifo_push(struct list_head *subq,
				  struct xdpq_node *node)
{
	list_add_tail(&node->list, subq);
}

/* Remove and return the oldest node, or NULL if the sub-queue is empty. */
static inline struct xdpq_node *xdpq_fifo_pop(struct list_head *subq)
{
	struct xdpq_node *node;

	node = list_first_entry_or_null(subq, struct xdpq_node, list);
	if (node)
		list_del(&node->list);
	return node;
}

/* Put back a node xdpq_fifo_pop() returned, ahead of the others. */
static inline void xdpq_fifo_push_head(struct list_head *subq,
				       struct xdpq_node *node)
{
	list_add(&node->list, subq);
}

#endif /* __XDPQ_FIFO_H__ */
