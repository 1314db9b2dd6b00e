/* SPDX-License-Identifier: GPL-2.0-only */
/* Ordering core of BPF_MAP_TYPE_XDP_PIFO: a calendar queue of FIFO
 * buckets over a sliding window of ranks, indexed by a hierarchical
 * find-first-set bitmap (the cFFS of Eiffel, NSDI'19).
 *
 * Window. The queue covers the ranks [base, base + nbuckets), nbuckets a
 * power of two; rank r lives in bucket r & (nbuckets - 1), so the window
 * wraps around the bucket array. base starts at 0 and only moves on
 * enqueue, never on dequeue: the window may lag behind the head. Every
 * queued frame has an effective rank inside the window, at or above the
 * head, the lowest effective rank queued. When the head's bucket empties,
 * the next head is found by a circular find-first-set from that bucket.
 *
 * Enqueue of rank r, and its effective rank:
 * - into an empty queue: if r is outside the window, base becomes r;
 *   ranks that stay inside it (e.g. strict priorities 0..nbuckets - 1)
 *   never move it. The effective rank is r.
 * - r at or beyond base + nbuckets: the window slides up as far as the
 *   queued frames allow, base = min(head, r - nbuckets + 1). If r is
 *   still beyond it, it is clamped to the last bucket, rank
 *   base + nbuckets - 1, unless the caller asks for a strict insert, which
 *   then fails with -ERANGE and leaves the queue as it was.
 * - r below base: it is due now, its effective rank is base. base's
 *   bucket is at or ahead of the head, so a lower rank never waits behind
 *   a higher one.
 * - otherwise the effective rank is r.
 * Frames leave in order of effective rank, and in arrival order among
 * equal effective ranks; the effective rank is what the core reports.
 * With ranks that only grow, the window follows them forever; with ranks
 * from a fixed range of nbuckets (priorities), the order is exact.
 *
 * Cost. Insert is O(1): into a bucket that holds frames, inside the
 * window, it only stores the frame (its bucket is marked already); into
 * an empty bucket it marks one bitmap word, and O(levels) words if that
 * word was empty. Remove is O(1) unless the head bucket empties, then
 * O(levels) to find the next one; levels is ceil(log64(nbuckets)), at
 * most XDPQ_PIFO_MAX_LEVELS. A bulk remove is O(1) per frame and
 * O(levels) per bucket it empties.
 *
 * Storage. A bucket is a FIFO of frame pointers in chunks
 * (queue_map_chunk.h): the core never touches a queued frame but for the
 * lengths a bulk remove reads. An insert that finds no spare chunk fails
 * with -ENOMEM before changing anything, unless it goes behind the frames
 * of a bucket with room in its last chunk inside the window;
 * xdpq_chunks_for(nframes, nbuckets) chunks always leave one for an
 * insert into a queue of fewer than nframes frames.
 *
 * The core knows nothing of maps, so that it can be built and tested in
 * user space (tools/testing/xdpq). Callers serialise all calls; head is
 * written with WRITE_ONCE() so that it may be read locklessly for an early
 * range check.
 */
#ifndef __KERNEL_BPF_QUEUE_MAP_PIFO_H__
#define __KERNEL_BPF_QUEUE_MAP_PIFO_H__

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/prefetch.h>
#include <linux/types.h>
#include <net/xdp.h>

#include "queue_map_chunk.h"

#define XDPQ_PIFO_MAX_BUCKETS	(1U << 20)
#define XDPQ_PIFO_MAX_LEVELS	4	/* 64^4 >= XDPQ_PIFO_MAX_BUCKETS */
struct xdpq_pifo {
	struct xdpq_chunk_list *buckets;	/* nbuckets */
	struct xdpq_chunk_pool chunks;	/* for inserts to take */
	u64 *bitmap;			/* all levels, leaf level first */
	u64 base;			/* start of the window */
	u64 head;			/* lowest effective rank queued */
	u64 count;			/* frames queued */
	u32 nbuckets;			/* power of two */
	u32 levels;
	u32 level_bits[XDPQ_PIFO_MAX_LEVELS];	/* bits used per level */
	u32 level_off[XDPQ_PIFO_MAX_LEVELS];	/* first word of each level */
};

/* Number of bitmap words for nbuckets buckets (a power of two, at most
 * XDPQ_PIFO_MAX_BUCKETS), and the level layout if p is not NULL: the leaf
 * level first, from word 0, which xdpq_pifo_set(), xdpq_pifo_clear() and
 * xdpq_pifo_find_from() rely on.
 */
static inline u32 xdpq_pifo_layout(struct xdpq_pifo *p, u32 nbuckets)
{
	u32 bits = nbuckets, words = 0, level = 0;

	do {
		if (p) {
			p->level_bits[level] = bits;
			p->level_off[level] = words;
		}
		words += DIV_ROUND_UP(bits, 64);
		bits = DIV_ROUND_UP(bits, 64);
		level++;
	} while (bits > 1);

	if (p)
		p->levels = level;
	return words;
}

/* buckets holds nbuckets zeroed entries, bitmap
 * xdpq_pifo_layout(NULL, nbuckets) zeroed words. There are no chunks
 * yet.
 */
static inline void xdpq_pifo_init(struct xdpq_pifo *p,
				  struct xdpq_chunk_list *buckets,
				  u64 *bitmap, u32 nbuckets)
{
	p->buckets = buckets;
	p->chunks = (struct xdpq_chunk_pool){};
	p->bitmap = bitmap;
	p->nbuckets = nbuckets;
	p->base = 0;
	p->head = 0;
	p->count = 0;
	xdpq_pifo_layout(p, nbuckets);
}

static inline u64 *xdpq_pifo_word(struct xdpq_pifo *p, u32 level, u32 bit)
{
	return &p->bitmap[p->level_off[level] + bit / 64];
}

/* Mark bucket non-empty. Level 0 starts at word 0 and is the only level
 * touched when the bucket's word already had a bit set: the usual insert.
 */
static inline void xdpq_pifo_set(struct xdpq_pifo *p, u32 bucket)
{
	u64 *w = &p->bitmap[bucket / 64];
	u64 old = *w;
	u32 level;

	*w = old | (1ULL << (bucket % 64));
	for (level = 1; !old && level < p->levels; level++) {
		bucket /= 64;
		w = xdpq_pifo_word(p, level, bucket);
		old = *w;
		*w = old | (1ULL << (bucket % 64));
	}
}

/* Mark bucket empty, and the levels above as far as their words empty. */
static inline void xdpq_pifo_clear(struct xdpq_pifo *p, u32 bucket)
{
	u64 *w = &p->bitmap[bucket / 64];
	u32 level;

	*w &= ~(1ULL << (bucket % 64));
	for (level = 1; !*w && level < p->levels; level++) {
		bucket /= 64;
		w = xdpq_pifo_word(p, level, bucket);
		*w &= ~(1ULL << (bucket % 64));
	}
}

/* Lowest non-empty bucket at or after bucket, which must be below
 * nbuckets, or nbuckets if none. Usually it is in the rest of bucket's
 * own word. Otherwise climb while the rest of the current word is empty,
 * then descend along the lowest set bits: at most two word operations per
 * level.
 */
static inline u32 xdpq_pifo_find_from(struct xdpq_pifo *p, u32 bucket)
{
	u64 w = p->bitmap[bucket / 64] & (~0ULL << (bucket % 64));
	u32 level, bit;

	if (w)
		return (bucket & ~63U) + __ffs64(w);
	/* The next word of a level is the next bit one up */
	bit = bucket / 64 + 1;
	for (level = 1; level < p->levels; level++) {
		if (bit >= p->level_bits[level])
			return p->nbuckets;
		w = *xdpq_pifo_word(p, level, bit) & (~0ULL << (bit % 64));
		if (w) {
			bit = (bit & ~63U) + __ffs64(w);
			goto descend;
		}
		bit = bit / 64 + 1;
	}
	return p->nbuckets;

descend:
	while (level--)
		bit = bit * 64 + __ffs64(*xdpq_pifo_word(p, level, bit * 64));
	return bit;
}

/* Account for a frame at rank, under the window rules above, and mark its
 * bucket; the caller stores it. On success the effective rank is stored
 * in *eff. With strict, a rank beyond the window, even once slid, fails
 * with -ERANGE instead of being clamped.
 */
static inline int xdpq_pifo_place(struct xdpq_pifo *p, u64 rank, bool strict,
				  u64 *eff)
{
	u64 mask = p->nbuckets - 1, base = p->base;

	if (!p->count) {
		if (rank < base || rank - base > mask)
			p->base = rank;
		WRITE_ONCE(p->head, rank);
	} else {
		if (rank < base) {
			rank = base;
		} else if (rank - base > mask) {
			/* rank > base + mask >= mask: no wrap below 0 */
			base = min(p->head, rank - mask);
			if (rank - base > mask) {
				if (strict)
					return -ERANGE;
				rank = base + mask;
			}
			p->base = base;
		}
		if (rank < p->head)
			WRITE_ONCE(p->head, rank);
	}

	xdpq_pifo_set(p, rank & mask);
	p->count++;
	*eff = rank;
	return 0;
}

/* The usual insert: rank inside the window, into a bucket that holds
 * frames. The frames of a bucket inside the window have that rank, so it
 * is at or behind the head; the bucket is marked already and neither the
 * window nor the head moves: all the insert changes is the bucket's last
 * chunk, or a spare one it appends; the caller counts the frame. Returns
 * false, having changed nothing, for any other insert, or if a chunk is
 * needed and there is none; an empty queue has no bucket that holds
 * frames. buckets, base and mask are those of p, which a caller queueing
 * many frames keeps in locals (xdpq_pifo_push_bulk()).
 */
static inline bool __xdpq_pifo_push_behind(struct xdpq_pifo *p,
					   struct xdpq_chunk_list *buckets,
					   u64 base, u64 mask,
					   struct xdp_frame *frame, u64 rank)
{
	struct xdpq_chunk_list *l;
	struct xdp_frame **slot;

	/* Below base, rank - base wraps beyond the mask */
	if (rank - base > mask)
		return false;
	l = &buckets[rank & mask];
	if (unlikely(xdpq_chunk_tail_full(l))) {
		if (xdpq_chunk_list_empty(l) ||
		    !xdpq_chunk_has_spare(&p->chunks))
			return false;
		xdpq_chunk_append(&p->chunks, l);
	}
	slot = l->tail;
	*slot = frame;
	l->tail = slot + 1;
	return true;
}

static inline bool xdpq_pifo_push_behind(struct xdpq_pifo *p,
					 struct xdp_frame *frame, u64 rank)
{
	if (!__xdpq_pifo_push_behind(p, p->buckets, p->base, p->nbuckets - 1,
				     frame, rank))
		return false;
	p->count++;
	return true;
}

/* Queue frame at rank, behind the frames of its effective rank, placed
 * in the window by xdpq_pifo_place(), which may move the window and the
 * head. Fails with -ENOMEM if there is no spare chunk, or with -ERANGE,
 * leaving the queue as it was.
 */
static inline int xdpq_pifo_push_place(struct xdpq_pifo *p,
				       struct xdp_frame *frame, u64 rank,
				       bool strict, u64 *eff)
{
	/* Read before the bitmap stores, which the compiler cannot tell
	 * from stores to *p
	 */
	struct xdpq_chunk_list *buckets = p->buckets;
	u64 mask = p->nbuckets - 1;
	int err;

	if (unlikely(!xdpq_chunk_has_spare(&p->chunks)))
		return -ENOMEM;
	err = xdpq_pifo_place(p, rank, strict, eff);
	if (err)
		return err;
	xdpq_chunk_push(&p->chunks, &buckets[*eff & mask], frame);
	return 0;
}

/* Queue frame at rank, behind the frames of its effective rank. Fails
 * with -ENOMEM if there is no spare chunk, unless the frame goes behind
 * others of its rank with room in their last chunk, or with -ERANGE,
 * leaving the queue as it was.
 */
static inline int xdpq_pifo_push(struct xdpq_pifo *p, struct xdp_frame *frame,
				 u64 rank, bool strict, u64 *eff)
{
	if (likely(xdpq_pifo_push_behind(p, frame, rank))) {
		*eff = rank;
		return 0;
	}
	return xdpq_pifo_push_place(p, frame, rank, strict, eff);
}

/* Queue frame at the rank its node holds, placed as xdpq_pifo_push()
 * places the frames it does not queue behind others of their rank,
 * BPF_F_RANK_STRICT in the node's flags making the push strict, and store
 * its effective rank in the node; false if it was refused (-ERANGE;
 * -ENOMEM, which a map sized for its frames never sees).
 */
static inline bool xdpq_pifo_push_node_place(struct xdpq_pifo *p,
					     struct xdp_frame *frame)
{
	struct xdpq_node *node = xdpq_frame_node(frame);
	bool strict = node->flags & BPF_F_RANK_STRICT;
	int err;

	err = xdpq_pifo_push_place(p, frame, node->rank, strict, &node->rank);
	WARN_ON_ONCE(err == -ENOMEM);
	return !err;
}

/* Queue the n frames at the ranks their nodes hold (xdpq_frame_node()),
 * in order, as xdpq_pifo_push() would. Frames refused are moved behind
 * the queued ones. Returns how many were queued.
 *
 * Most frames go behind others of their rank, which
 * __xdpq_pifo_push_behind() does with the window in locals here: for the
 * compiler, the stores of frame pointers could change *p, which it would
 * then read again for every frame. Those frames are counted by the run,
 * before a frame is placed (xdpq_pifo_place() reads the count), not one
 * by one. Until a frame is refused, which only strict pushes are, the
 * frames stay where they are, and the loop needs no second index.
 */
static inline unsigned int xdpq_pifo_push_bulk(struct xdpq_pifo *p,
					       struct xdp_frame **frames,
					       unsigned int n)
{
	struct xdp_frame **f = frames, **end = frames + n, **start;
	struct xdpq_chunk_list *buckets = p->buckets;
	u64 mask = p->nbuckets - 1, base = p->base;
	unsigned int queued;

	for (;;) {
		start = f;
		while (f < end &&
		       __xdpq_pifo_push_behind(p, buckets, base, mask, *f,
					       xdpq_frame_node(*f)->rank))
			f++;
		p->count += f - start;
		if (f == end)
			return n;
		if (unlikely(!xdpq_pifo_push_node_place(p, *f)))
			break;
		base = p->base;
		f++;
	}

	/* Frames queued after one was refused go ahead of the refused */
	for (queued = f++ - frames; f < end; f++) {
		if (__xdpq_pifo_push_behind(p, buckets, base, mask, *f,
					    xdpq_frame_node(*f)->rank)) {
			p->count++;
		} else if (xdpq_pifo_push_node_place(p, *f)) {
			base = p->base;
		} else {
			continue;
		}
		swap(frames[queued], *f);
		queued++;
	}
	return queued;
}

/* Put back a frame a pop returned, ahead of the frames of its rank; there
 * must be a spare chunk. Its rank is placed in the window as a push would,
 * so it may have changed if the window moved since the pop; the new rank
 * is returned.
 */
static inline u64 xdpq_pifo_push_head(struct xdpq_pifo *p,
				      struct xdp_frame *frame, u64 rank)
{
	u64 eff;

	xdpq_pifo_place(p, rank, false, &eff);
	xdpq_chunk_push_head(&p->chunks, &p->buckets[eff & (p->nbuckets - 1)],
			     frame);
	return eff;
}

/* Whether a strict insert of rank into the non-empty queue would fail:
 * rank is beyond the window even once slid up to the head. As seen by a
 * lockless reader, best effort: the insert checks again.
 */
static inline bool xdpq_pifo_beyond(const struct xdpq_pifo *p, u64 rank)
{
	u64 head = READ_ONCE(p->head);

	return rank > head && rank - head >= p->nbuckets;
}

static inline bool xdpq_pifo_peek(const struct xdpq_pifo *p, u64 *rank)
{
	if (!p->count)
		return false;
	*rank = p->head;
	return true;
}

/* The bucket of the head frame, or NULL if the queue is empty. */
static inline struct xdpq_chunk_list *
xdpq_pifo_head_bucket(const struct xdpq_pifo *p)
{
	return p->count ? &p->buckets[p->head & (p->nbuckets - 1)] : NULL;
}

/* n frames were removed from the front of b, the head bucket. If it is
 * empty now, unmark it and move the head on to the next non-empty one.
 */
static inline void xdpq_pifo_taken(struct xdpq_pifo *p,
				   const struct xdpq_chunk_list *b,
				   unsigned int n)
{
	u32 mask = p->nbuckets - 1, start, next;

	p->count -= n;
	if (!xdpq_chunk_list_empty(b))
		return;
	start = p->head & mask;
	xdpq_pifo_clear(p, start);
	if (!p->count)
		return;
	/* Every frame is in [head, base + nbuckets), less than nbuckets
	 * above the old head, so the first bucket found from the head's on,
	 * or by wrapping around, is the next head. Usually it is in the same
	 * bitmap word; base may lag far behind.
	 */
	next = xdpq_pifo_find_from(p, start);
	if (next == p->nbuckets)
		next = xdpq_pifo_find_from(p, 0);
	WRITE_ONCE(p->head, p->head + ((next - start) & mask));
	/* The next remove reads the new head's first chunk, last written
	 * when that bucket took its first frames, often a queue's worth of
	 * frames ago: start the cache miss now, while the caller does
	 * something else (enqueues, sends) before it removes again.
	 */
	prefetch(p->buckets[next].head);
}

/* Remove and return the head frame, its effective rank in *rank, or NULL
 * if the queue is empty.
 */
static inline struct xdp_frame *xdpq_pifo_pop(struct xdpq_pifo *p, u64 *rank)
{
	struct xdpq_chunk_list *b = xdpq_pifo_head_bucket(p);
	struct xdp_frame *frame;

	if (!b)
		return NULL;
	*rank = p->head;
	frame = xdpq_chunk_pop(&p->chunks, b);
	xdpq_pifo_taken(p, b, 1);
	return frame;
}

/* Remove up to n of the lowest ranked frames into frames, in order,
 * adding them to *bulk, each while bulk->bytes is still below max_bytes
 * (the last may take it past); return how many. The bitmap is updated
 * once per bucket emptied.
 */
static inline unsigned int xdpq_pifo_pop_bulk(struct xdpq_pifo *p,
					      struct xdp_frame **frames,
					      unsigned int n, u64 max_bytes,
					      struct xdpq_bulk_sum *bulk)
{
	struct xdpq_bulk_sum sum = *bulk;
	struct xdpq_chunk_list *b;
	unsigned int i = 0, start;

	while (i < n && sum.bytes < max_bytes &&
	       (b = xdpq_pifo_head_bucket(p))) {
		start = i;
		/* Buckets often hold a frame or two, for which copying a
		 * chunk's run, as xdpq_chunk_pop_bulk() does, costs more
		 * than taking them one by one; a bucket of several chunks,
		 * as fair queueing of many flows fills, goes a run at a time.
		 */
		if (!xdpq_chunk_list_single(b)) {
			i += xdpq_chunk_pop_bulk(&p->chunks, b, frames + i,
						 n - i, max_bytes, &sum);
		} else {
			do {
				frames[i] = xdpq_chunk_pop(&p->chunks, b);
				xdpq_bulk_sum_add(&sum, frames[i++]);
			} while (i < n && sum.bytes < max_bytes &&
				 !xdpq_chunk_list_empty(b));
		}
		xdpq_pifo_taken(p, b, i - start);
	}
	*bulk = sum;
	return i;
}

#endif /* __KERNEL_BPF_QUEUE_MAP_PIFO_H__ */
