/* SPDX-License-Identifier: GPL-2.0-only */
/* Ordering core of BPF_MAP_TYPE_XDP_PIFO: a calendar queue of FIFO
 * buckets over a sliding window of ranks, indexed by a hierarchical
 * find-first-set bitmap (the cFFS of Eiffel, NSDI'19).
 *
 * Window. The queue covers the ranks [base, base + nbuckets), nbuckets a
 * power of two; rank r lives in bucket r & (nbuckets - 1), so the window
 * wraps around the bucket array and the search for the head starts at the
 * bucket of base and wraps. base is the rank of the head bucket: it
 * follows the lowest queued rank as the head advances, so ranks that only
 * grow keep working forever. When the queue is empty, base jumps to the
 * rank of the next frame queued.
 *
 * Effective rank. While the queue is not empty:
 * - a rank below base joins the head bucket, at its tail: it is due now,
 *   and its rank becomes base;
 * - a rank at or beyond base + nbuckets is clamped to the last bucket of
 *   the window, rank base + nbuckets - 1, unless the caller asks for a
 *   strict insert, which then fails with -ERANGE.
 * Frames leave in order of effective rank, and in arrival order among
 * equal effective ranks; the effective rank is what the core reports.
 *
 * Cost. Insert is O(levels) to mark the bucket, remove is O(1) unless the
 * head bucket empties, then O(levels) to find the next one; levels is
 * ceil(log64(nbuckets)), at most XDPQ_PIFO_MAX_LEVELS.
 *
 * The core knows nothing of maps or frames: it queues list_heads, so that
 * it can be built and tested in user space (tools/testing/xdpq). Callers
 * serialise all calls; base is written with WRITE_ONCE() so that it may be
 * read locklessly for an early range check.
 */
#ifndef __KERNEL_BPF_QUEUE_MAP_PIFO_H__
#define __KERNEL_BPF_QUEUE_MAP_PIFO_H__

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/types.h>

#define XDPQ_PIFO_MAX_BUCKETS	(1U << 20)
#define XDPQ_PIFO_MAX_LEVELS	4	/* 64^4 >= XDPQ_PIFO_MAX_BUCKETS */

struct xdpq_pifo {
	struct list_head *buckets;	/* nbuckets FIFO lists */
	u64 *bitmap;			/* all levels, leaf level first */
	u64 base;			/* effective rank of the head bucket */
	u64 count;			/* entries queued */
	u32 nbuckets;			/* power of two */
	u32 levels;
	u32 level_bits[XDPQ_PIFO_MAX_LEVELS];	/* bits used per level */
	u32 level_off[XDPQ_PIFO_MAX_LEVELS];	/* first word of each level */
};

/* Number of bitmap words for nbuckets buckets (a power of two, at most
 * XDPQ_PIFO_MAX_BUCKETS), and the level layout if p is not NULL.
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

/* buckets holds nbuckets entries, bitmap xdpq_pifo_layout(NULL, nbuckets)
 * zeroed words.
 */
static inline void xdpq_pifo_init(struct xdpq_pifo *p,
				  struct list_head *buckets, u64 *bitmap,
				  u32 nbuckets)
{
	u32 i;

	p->buckets = buckets;
	p->bitmap = bitmap;
	p->nbuckets = nbuckets;
	p->base = 0;
	p->count = 0;
	xdpq_pifo_layout(p, nbuckets);
	for (i = 0; i < nbuckets; i++)
		INIT_LIST_HEAD(&buckets[i]);
}

static inline u64 *xdpq_pifo_word(struct xdpq_pifo *p, u32 level, u32 bit)
{
	return &p->bitmap[p->level_off[level] + bit / 64];
}

static inline void xdpq_pifo_set(struct xdpq_pifo *p, u32 bucket)
{
	u32 level;

	for (level = 0; level < p->levels; level++) {
		u64 *w = xdpq_pifo_word(p, level, bucket);
		u64 old = *w;

		*w = old | (1ULL << (bucket % 64));
		if (old)	/* the upper levels are marked already */
			break;
		bucket /= 64;
	}
}

static inline void xdpq_pifo_clear(struct xdpq_pifo *p, u32 bucket)
{
	u32 level;

	for (level = 0; level < p->levels; level++) {
		u64 *w = xdpq_pifo_word(p, level, bucket);

		*w &= ~(1ULL << (bucket % 64));
		if (*w)		/* the upper levels stay marked */
			break;
		bucket /= 64;
	}
}

/* Lowest non-empty bucket at or after bucket, or nbuckets if none. Climbs
 * while the rest of the current word is empty, then descends along the
 * lowest set bits: at most two word operations per level.
 */
static inline u32 xdpq_pifo_find_from(struct xdpq_pifo *p, u32 bucket)
{
	u32 level, bit = bucket;
	u64 w;

	for (level = 0; level < p->levels; level++) {
		if (bit >= p->level_bits[level])
			return p->nbuckets;
		w = *xdpq_pifo_word(p, level, bit) & (~0ULL << (bit % 64));
		if (w) {
			bit = (bit & ~63U) + __ffs64(w);
			goto descend;
		}
		/* The next word of this level is the next bit one up */
		bit = bit / 64 + 1;
	}
	return p->nbuckets;

descend:
	while (level--)
		bit = bit * 64 + __ffs64(*xdpq_pifo_word(p, level, bit * 64));
	return bit;
}

/* Queue entry at rank. On success the effective rank is stored in *eff.
 * With strict, a rank beyond the window fails with -ERANGE instead of
 * being clamped.
 */
static inline int xdpq_pifo_push(struct xdpq_pifo *p, struct list_head *entry,
				 u64 rank, bool strict, u64 *eff)
{
	u64 mask = p->nbuckets - 1;

	if (!p->count) {
		WRITE_ONCE(p->base, rank);
	} else if (rank < p->base) {
		rank = p->base;
	} else if (rank - p->base > mask) {
		if (strict)
			return -ERANGE;
		rank = p->base + mask;
	}

	list_add_tail(entry, &p->buckets[rank & mask]);
	xdpq_pifo_set(p, rank & mask);
	p->count++;
	*eff = rank;
	return 0;
}

/* Whether rank is beyond the window, as seen by a lockless reader. */
static inline bool xdpq_pifo_beyond(const struct xdpq_pifo *p, u64 rank)
{
	u64 base = READ_ONCE(p->base);

	return rank > base && rank - base >= p->nbuckets;
}

static inline bool xdpq_pifo_peek(const struct xdpq_pifo *p, u64 *rank)
{
	if (!p->count)
		return false;
	*rank = p->base;
	return true;
}

/* Remove and return the head entry, or NULL if the queue is empty. */
static inline struct list_head *xdpq_pifo_pop(struct xdpq_pifo *p)
{
	u32 mask = p->nbuckets - 1, head, next;
	struct list_head *entry;

	if (!p->count)
		return NULL;

	head = p->base & mask;
	entry = p->buckets[head].next;
	list_del(entry);
	p->count--;

	if (list_empty(&p->buckets[head])) {
		xdpq_pifo_clear(p, head);
		if (p->count) {
			/* Every entry is within the window, so a bucket is
			 * found, after head or by wrapping around.
			 */
			next = xdpq_pifo_find_from(p, head);
			if (next == p->nbuckets)
				next = xdpq_pifo_find_from(p, 0);
			WRITE_ONCE(p->base, p->base + ((next - head) & mask));
		}
	}
	return entry;
}

#endif /* __KERNEL_BPF_QUEUE_MAP_PIFO_H__ */
