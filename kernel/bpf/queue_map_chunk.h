/* SPDX-License-Identifier: GPL-2.0-only */
/* XDP queue maps: FIFOs of frame pointers kept in chunks, the storage of a
 * FIFO map's sub-queues and of a PIFO map's buckets.
 *
 * A chunk holds XDPQ_CHUNK_FRAMES frame pointers and fills two 64-byte
 * cache lines, which the adjacent-line prefetch of most CPUs loads
 * together: a bulk insert or remove changes chunks every 15 frames, at
 * some 40 instructions a change (7 frames to a cache line cost a veth
 * FIFO 6 ns a frame more under TCG), while the partly filled chunks at the
 * ends of a list, which the pool must hold for every list, still take no
 * more than 256 bytes a list.
 *
 * A list of chunks is a FIFO: its frames run from the slot its head
 * points to in its first chunk to the one before its tail in its last,
 * and all chunks in between are full. A list is these two slot pointers,
 * 16 bytes, and a chunk is aligned to its size, so that an insert tests
 * one pointer for both an empty list and a full last chunk, and stores
 * the frame and the pointer: a PIFO inserts into its buckets frame by
 * frame. Queueing never touches a queued frame: an insert writes a pointer
 * into the list's last chunk, a remove reads one from its first, so that
 * with many frames queued the cache misses are on the chunks at the two
 * ends of a list, not on frames scattered over memory (linking the frames
 * to each other costs a miss on the frame queued last and one on the
 * frame next in line, some 150 ns a frame once tens of thousands are
 * queued: tools/testing/xdpq/xdpq_bench.c). Only the bulk remove reads
 * the lengths and flags of the frames it hands out.
 *
 * Chunks come from a pool of spare ones, which an insert that needs one
 * takes from and an emptied chunk goes back to, the one used last first,
 * while it is still in the cache. A list of n frames holds at most
 * n / XDPQ_CHUNK_FRAMES + 2 chunks, partly filled ones at both ends, so
 * xdpq_chunks_for() chunks are enough for any nframes frames queued in up
 * to nlists lists. The map allocates that many with the map
 * (xdpq_chunk_pool_alloc() in queue_map.c) and adds one when a frame given
 * back to its queue takes it past its size and needs one
 * (xdpq_chunk_pool_reserve()); the functions here only use the spare
 * list.
 *
 * Nothing here knows of maps, so that it can be built and tested in user
 * space (tools/testing/xdpq). Callers serialise all calls.
 */
#ifndef __KERNEL_BPF_QUEUE_MAP_CHUNK_H__
#define __KERNEL_BPF_QUEUE_MAP_CHUNK_H__

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/types.h>
#include <net/xdp.h>
#include <net/xdp_queue.h>

#define XDPQ_CHUNK_FRAMES	15	/* 128 bytes a chunk on 64-bit */

/* A chunk is 16 pointers and aligned to its size, so that a pointer to
 * one of its slots tells the chunk, and a slot pointer at the end of a
 * chunk, like a NULL one, has none of the offset bits set.
 */
struct xdpq_chunk {
	struct xdpq_chunk *next;	/* in its list, or spare */
	struct xdp_frame *frames[XDPQ_CHUNK_FRAMES];
} __aligned(16 * sizeof(void *));

/* The frames end at the end of the chunk, whose size is a power of two */
static_assert(offsetof(struct xdpq_chunk, frames[XDPQ_CHUNK_FRAMES]) ==
	      sizeof(struct xdpq_chunk));
static_assert(!(sizeof(struct xdpq_chunk) & (sizeof(struct xdpq_chunk) - 1)));

#define XDPQ_CHUNK_OFFSET_MASK	(sizeof(struct xdpq_chunk) - 1)

/* A FIFO of frames, from the slot head points to in the first chunk to the
 * one before tail, the next free slot of the last chunk or its end; all
 * chunks in between are full. Zeroed is empty, and so is every list whose
 * head is NULL: the last remove clears both.
 */
struct xdpq_chunk_list {
	struct xdp_frame **head;
	struct xdp_frame **tail;
};

/* The chunk of a slot, or of the end of the chunk */
static inline struct xdpq_chunk *xdpq_chunk_of(struct xdp_frame **slot)
{
	return (struct xdpq_chunk *)(((unsigned long)slot - 1) &
				     ~XDPQ_CHUNK_OFFSET_MASK);
}

static inline struct xdp_frame **xdpq_chunk_end(struct xdpq_chunk *chunk)
{
	return chunk->frames + XDPQ_CHUNK_FRAMES;
}

/* Whether slot is at the end of a chunk, or NULL: no offset bits set */
static inline bool xdpq_chunk_at_end(struct xdp_frame **slot)
{
	return !((unsigned long)slot & XDPQ_CHUNK_OFFSET_MASK);
}

/* The end of the chunk of a slot that is not at the end of one */
static inline struct xdp_frame **xdpq_chunk_slot_end(struct xdp_frame **slot)
{
	return (struct xdp_frame **)(((unsigned long)slot |
				      XDPQ_CHUNK_OFFSET_MASK) + 1);
}

/* The chunks of a queue: the spare ones, and for the map that allocated
 * them, the array allocated with it and how many it added since.
 */
struct xdpq_chunk_pool {
	struct xdpq_chunk *spare;
	struct xdpq_chunk *array;
	void *array_mem;		/* the allocation array is aligned in */
	u64 nr_array;
	u64 nr_added;
};

/* Chunks enough for any nframes frames queued at once in nlists lists. */
static inline u64 xdpq_chunks_for(u32 nframes, u32 nlists)
{
	return DIV_ROUND_UP(nframes, XDPQ_CHUNK_FRAMES) +
	       2ULL * min(nframes, nlists);
}

static inline void xdpq_chunk_put(struct xdpq_chunk_pool *pool,
				  struct xdpq_chunk *chunk)
{
	chunk->next = pool->spare;
	pool->spare = chunk;
}

/* Add the n chunks of the array chunks to the spare ones. */
static inline void xdpq_chunk_add(struct xdpq_chunk_pool *pool,
				  struct xdpq_chunk *chunks, u64 n)
{
	while (n--)
		xdpq_chunk_put(pool, &chunks[n]);
}

static inline bool xdpq_chunk_has_spare(const struct xdpq_chunk_pool *pool)
{
	return pool->spare;
}

/* A spare chunk, which the caller made sure there is. */
static inline struct xdpq_chunk *xdpq_chunk_take(struct xdpq_chunk_pool *pool)
{
	struct xdpq_chunk *chunk = pool->spare;

	pool->spare = chunk->next;
	return chunk;
}

static inline bool xdpq_chunk_list_empty(const struct xdpq_chunk_list *l)
{
	return !l->head;
}

/* Whether the frames of the non-empty l are all in one chunk. */
static inline bool xdpq_chunk_list_single(const struct xdpq_chunk_list *l)
{
	return xdpq_chunk_of(l->head) == xdpq_chunk_of(l->tail);
}

/* Whether an insert at the tail of l needs a spare chunk: l is empty, or
 * its tail at the end of its last chunk. One test for both, for the
 * inserts into lists that have room.
 */
static inline bool xdpq_chunk_tail_full(const struct xdpq_chunk_list *l)
{
	return xdpq_chunk_at_end(l->tail);
}

/* Whether an insert at the head of l needs a spare chunk. */
static inline bool xdpq_chunk_head_full(const struct xdpq_chunk_list *l)
{
	return !l->head || l->head == xdpq_chunk_of(l->head)->frames;
}

/* A spare chunk as the last of l, which is empty or has a full tail. */
static inline void xdpq_chunk_append(struct xdpq_chunk_pool *pool,
				     struct xdpq_chunk_list *l)
{
	struct xdpq_chunk *chunk = xdpq_chunk_take(pool);

	chunk->next = NULL;
	if (l->tail)
		xdpq_chunk_of(l->tail)->next = chunk;
	else
		l->head = chunk->frames;
	l->tail = chunk->frames;
}

/* Queue frame at the tail of l; there must be a spare chunk if
 * xdpq_chunk_tail_full().
 */
static inline void xdpq_chunk_push(struct xdpq_chunk_pool *pool,
				   struct xdpq_chunk_list *l,
				   struct xdp_frame *frame)
{
	struct xdp_frame **slot;

	if (xdpq_chunk_tail_full(l))
		xdpq_chunk_append(pool, l);
	slot = l->tail;
	*slot = frame;
	l->tail = slot + 1;
}

/* Queue the n frames at the tail of l, in order, a chunk's room at a
 * time. Returns how many: fewer only if l needed a chunk and there was
 * no spare one.
 */
static inline unsigned int xdpq_chunk_push_bulk(struct xdpq_chunk_pool *pool,
						struct xdpq_chunk_list *l,
						struct xdp_frame **frames,
						unsigned int n)
{
	struct xdp_frame **src = frames, **stop = frames + n, **dst, **end;

	while (src < stop) {
		if (xdpq_chunk_tail_full(l)) {
			if (unlikely(!xdpq_chunk_has_spare(pool)))
				break;
			xdpq_chunk_append(pool, l);
		}
		/* Locals: for the compiler, the tail may alias the chunk */
		dst = l->tail;
		end = dst + min(xdpq_chunk_slot_end(dst) - dst, stop - src);
		l->tail = end;
		while (dst < end)
			*dst++ = *src++;
	}
	return src - frames;
}

/* Put back a frame a remove returned, at the head of l; there must be a
 * spare chunk if xdpq_chunk_head_full().
 */
static inline void xdpq_chunk_push_head(struct xdpq_chunk_pool *pool,
					struct xdpq_chunk_list *l,
					struct xdp_frame *frame)
{
	struct xdpq_chunk *chunk;

	if (xdpq_chunk_list_empty(l)) {
		xdpq_chunk_push(pool, l, frame);
		return;
	}
	if (xdpq_chunk_head_full(l)) {
		/* A chunk ahead of the first, to be filled from its end */
		chunk = xdpq_chunk_take(pool);
		chunk->next = xdpq_chunk_of(l->head);
		l->head = xdpq_chunk_end(chunk);
	}
	*--l->head = frame;
}

/* The first chunk of l, chunk, was emptied up to end, its end or l's
 * tail: give it back.
 */
static inline void xdpq_chunk_drop_first(struct xdpq_chunk_pool *pool,
					 struct xdpq_chunk_list *l,
					 struct xdpq_chunk *chunk,
					 struct xdp_frame **end)
{
	if (end == l->tail) {
		l->head = NULL;
		l->tail = NULL;
	} else {
		l->head = chunk->next->frames;
	}
	xdpq_chunk_put(pool, chunk);
}

/* Remove the first frame of the non-empty l. */
static inline struct xdp_frame *xdpq_chunk_pop(struct xdpq_chunk_pool *pool,
					       struct xdpq_chunk_list *l)
{
	struct xdp_frame **slot = l->head;
	struct xdp_frame *frame = *slot++;

	/* A non-empty list's tail is never at frames[0] of a chunk, so a
	 * slot at the end of a chunk is the tail only if the tail is in it
	 */
	if (slot == l->tail || xdpq_chunk_at_end(slot))
		xdpq_chunk_drop_first(pool, l, xdpq_chunk_of(slot), slot);
	else
		l->head = slot;
	return frame;
}

/* Remove up to n of the first frames of l into frames, in order, adding
 * them to *bulk, each while bulk->bytes is still below max_bytes (the
 * last may take it past); return how many. A chunk's frames are
 * copied out in one run, for lists that hold many frames.
 */
static inline unsigned int xdpq_chunk_pop_bulk(struct xdpq_chunk_pool *pool,
					       struct xdpq_chunk_list *l,
					       struct xdp_frame **frames,
					       unsigned int n, u64 max_bytes,
					       struct xdpq_bulk_sum *bulk)
{
	struct xdp_frame **dst = frames, **stop = frames + n, **src, **end;
	struct xdpq_bulk_sum sum = *bulk;
	struct xdpq_chunk *chunk;
	long i, run;

	if (sum.bytes >= max_bytes)
		return 0;
	while (dst < stop && !xdpq_chunk_list_empty(l)) {
		src = l->head;
		chunk = xdpq_chunk_of(src);
		end = xdpq_chunk_list_single(l) ? l->tail :
						  xdpq_chunk_end(chunk);
		run = min(end - src, stop - dst);
		for (i = 0; i < run;) {
			struct xdp_frame *frame = src[i];

			dst[i++] = frame;
			xdpq_bulk_sum_add(&sum, frame);
			if (sum.bytes >= max_bytes)
				break;
		}
		src += i;
		dst += i;
		/* Frames left in the chunk: n or max_bytes was reached */
		if (src < end) {
			l->head = src;
			break;
		}
		xdpq_chunk_drop_first(pool, l, chunk, end);
		if (sum.bytes >= max_bytes)
			break;
	}
	*bulk = sum;
	return dst - frames;
}

#endif /* __KERNEL_BPF_QUEUE_MAP_CHUNK_H__ */
