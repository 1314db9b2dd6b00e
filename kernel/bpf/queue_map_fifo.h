/* SPDX-License-Identifier: GPL-2.0-only */
/* Ordering core of BPF_MAP_TYPE_XDP_FIFO: one FIFO of frame pointers per
 * sub-queue.
 *
 * A sub-queue is a list of chunks of frame pointers (queue_map_chunk.h),
 * all taken from one pool. Enqueue appends at the tail, dequeue takes the
 * head, and a frame given back goes to the head again. A bulk enqueue
 * into a single sub-queue and a bulk dequeue copy a chunk's frames at a
 * time. The core never touches a queued frame but for the lengths a bulk
 * dequeue reads: the frames' nodes (struct xdpq_node) are only read at
 * enqueue, for their sub-queue, while the redirect that wrote them left
 * them in the cache.
 *
 * The core knows nothing of maps, so that it can be built and tested in
 * user space (tools/testing/xdpq). Callers serialise all calls.
 */
#ifndef __KERNEL_BPF_QUEUE_MAP_FIFO_H__
#define __KERNEL_BPF_QUEUE_MAP_FIFO_H__

#include <linux/types.h>
#include <net/xdp_queue.h>

#include "queue_map_chunk.h"

struct xdpq_fifo {
	struct xdpq_chunk_list *subqs;	/* nr_subq */
	struct xdpq_chunk_pool chunks;	/* for enqueues to take */
	u32 nr_subq;
};

/* subqs holds nr_subq zeroed, empty, lists. There are no chunks yet. */
static inline void xdpq_fifo_init(struct xdpq_fifo *f,
				  struct xdpq_chunk_list *subqs, u32 nr_subq)
{
	f->subqs = subqs;
	f->chunks = (struct xdpq_chunk_pool){};
	f->nr_subq = nr_subq;
}

/* Append n frames to the sub-queues their nodes name (node->subq), in
 * order. With a single sub-queue, the nodes are not read and the frames
 * are copied a chunk's room at a time; with several, consecutive frames
 * usually go to different sub-queues. Returns how many were queued: fewer
 * only if the chunks ran out, and then the frames not queued are the last
 * ones.
 */
static inline unsigned int xdpq_fifo_push_bulk(struct xdpq_fifo *f,
					       struct xdp_frame **frames,
					       unsigned int n)
{
	struct xdpq_chunk_list *l;
	unsigned int i;

	if (f->nr_subq == 1)
		return xdpq_chunk_push_bulk(&f->chunks, f->subqs, frames, n);
	for (i = 0; i < n; i++) {
		l = &f->subqs[xdpq_frame_node(frames[i])->subq];
		if (unlikely(xdpq_chunk_tail_full(l) &&
			     !xdpq_chunk_has_spare(&f->chunks)))
			return i;
		xdpq_chunk_push(&f->chunks, l, frames[i]);
	}
	return n;
}

static inline bool xdpq_fifo_empty(const struct xdpq_fifo *f, u32 subq)
{
	return xdpq_chunk_list_empty(&f->subqs[subq]);
}

/* Remove and return the oldest frame of subq, or NULL if it is empty. */
static inline struct xdp_frame *xdpq_fifo_pop(struct xdpq_fifo *f, u32 subq)
{
	if (xdpq_fifo_empty(f, subq))
		return NULL;
	return xdpq_chunk_pop(&f->chunks, &f->subqs[subq]);
}

/* Remove up to n of the oldest frames of subq into frames, in order,
 * adding them to *sum, each while sum->bytes is still below max_bytes
 * (the last may take it past); return how many.
 */
static inline unsigned int xdpq_fifo_pop_bulk(struct xdpq_fifo *f, u32 subq,
					      struct xdp_frame **frames,
					      unsigned int n, u64 max_bytes,
					      struct xdpq_bulk_sum *sum)
{
	return xdpq_chunk_pop_bulk(&f->chunks, &f->subqs[subq], frames, n,
				   max_bytes, sum);
}

/* Put back a frame a pop returned, ahead of the others of subq; there
 * must be a spare chunk if xdpq_chunk_head_full() of the sub-queue.
 */
static inline void xdpq_fifo_push_head(struct xdpq_fifo *f, u32 subq,
				       struct xdp_frame *frame)
{
	xdpq_chunk_push_head(&f->chunks, &f->subqs[subq], frame);
}

#endif /* __KERNEL_BPF_QUEUE_MAP_FIFO_H__ */
