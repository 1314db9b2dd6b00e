/* SPDX-License-Identifier: GPL-2.0-only */
/* Ordering core of BPF_MAP_TYPE_XDP_FIFO: one list of frames per sub-queue.
 *
 * A sub-queue is a list_head linking the struct xdpq_node in each frame,
 * so queueing allocates nothing. Enqueue appends at the tail, dequeue takes
 * the head, and a frame given back goes to the head again. A bulk enqueue
 * links its frames to each other before it links them to the list; a bulk
 * dequeue walks the first frames and cuts them off the list with one
 * unlink, leaving the links of the frames it took as they were: a node is
 * only valid while queued.
 *
 * The core only touches the list member of struct xdpq_node and the length
 * of the frame, so that it can be built and tested in user space
 * (tools/testing/xdpq). Callers serialise all calls.
 */
#ifndef __KERNEL_BPF_QUEUE_MAP_FIFO_H__
#define __KERNEL_BPF_QUEUE_MAP_FIFO_H__

#include <linux/list.h>
#include <linux/types.h>
#include <net/xdp_queue.h>

/* Append n frames to the sub-queues their nodes name (node->subq), in
 * order: the frames that follow each other into one sub-queue are linked
 * to each other, and the chain to the list once.
 */
static inline void xdpq_fifo_push_bulk(struct list_head *subqs,
				       struct xdp_frame **frames,
				       unsigned int n)
{
	struct list_head *subq = NULL, *prev = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct xdpq_node *node = xdpq_frame_node(frames[i]);

		if (&subqs[node->subq] != subq) {
			if (subq) {
				prev->next = subq;
				subq->prev = prev;
			}
			subq = &subqs[node->subq];
			prev = subq->prev;
		}
		prev->next = &node->list;
		node->list.prev = prev;
		prev = &node->list;
	}
	if (subq) {
		prev->next = subq;
		subq->prev = prev;
	}
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

/* Remove up to n of the oldest frames into frames, in order, adding
 * their lengths to *bytes, each while *bytes is still below max_bytes
 * (the last may take it past); return how many.
 */
static inline unsigned int xdpq_fifo_pop_bulk(struct list_head *subq,
					      struct xdp_frame **frames,
					      unsigned int n, u64 max_bytes,
					      u64 *bytes)
{
	struct list_head *pos = subq->next;
	u64 sum = *bytes;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (pos == subq || sum >= max_bytes)
			break;
		frames[i] = xdpq_node_frame(list_entry(pos, struct xdpq_node,
						       list));
		sum += frames[i]->len;
		pos = pos->next;
	}
	__list_del(subq, pos);
	*bytes = sum;
	return i;
}

/* Put back a node a pop returned, ahead of the others. */
static inline void xdpq_fifo_push_head(struct list_head *subq,
				       struct xdpq_node *node)
{
	list_add(&node->list, subq);
}

#endif /* __KERNEL_BPF_QUEUE_MAP_FIFO_H__ */
