/* SPDX-License-Identifier: GPL-2.0-only */
/* Reference models of the XDP queue map ordering cores, shared by the
 * randomised test (xdpq_test.c) and the fuzzers (xdpq_fuzz_*.c).
 *
 * A model is an array kept sorted by (effective rank, arrival): the plain,
 * O(n) per operation, order that every core must reproduce. Entries are
 * inserted behind their equals (enqueue) or ahead of them (requeue), and
 * leave from the front. For the PIFO, model_pifo_place() restates the
 * window rules of kernel/bpf/queue_map_pifo.h from its header comment, not
 * from its code, so that the two are checked against each other.
 *
 * The model_*_mismatch() functions compare a core's whole internal state
 * with the model: the chunks of a FIFO sub-queue or PIFO bucket, the spare
 * chunks, the bitmap levels of a PIFO, the in-order walk and the
 * red-black rules of an rbtree. They return NULL when they agree, else
 * what differs.
 *
 * model_pifo_setup() gives a PIFO core the storage the map would: buckets,
 * bitmap, and chunks for the frames the model's pool holds at most;
 * model_chunks_give() gives chunks to any core.
 *
 * Queued things are struct model_node: the kernel's struct xdpq_node and
 * an id, handed out by a pool of preallocated nodes, as frames would be.
 */
#ifndef __XDPQ_MODEL_H__
#define __XDPQ_MODEL_H__

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rbtree_augmented.h>

#include "../../../kernel/bpf/queue_map_fifo.h"
#include "../../../kernel/bpf/queue_map_pifo.h"
#include "../../../kernel/bpf/queue_map_rbtree.h"

struct model_entry {
	u64 rank;		/* effective rank */
	unsigned int id;
};

struct model {
	struct model_entry *e;	/* sorted by (rank, arrival) */
	unsigned int n;
	u64 base;		/* PIFO: start of the window */
	u64 nbuckets;		/* PIFO: length of the window */
	u64 chunks;		/* PIFO: chunks given to the core */
};

/* What model_pifo_place() did with a rank, see queue_map_pifo.h. */
enum model_place {
	MODEL_INSIDE,		/* in the window, unchanged */
	MODEL_RESTART,		/* into an empty queue: the window moved to it */
	MODEL_BELOW,		/* below the window: due now, at base */
	MODEL_SLID,		/* the window slid up to take it */
	MODEL_CLAMPED,		/* beyond even the slid window: last bucket */
	MODEL_REFUSED,		/* same, strict: -ERANGE, nothing changed */
	MODEL_NR_PLACE,
};

/* A frame and its node, laid out as in a queued frame's headroom. */
struct model_node {
	struct xdp_frame frame;
	struct xdpq_node node;
	unsigned int id;
};

struct model_pool {
	struct model_node *nodes;
	unsigned int n;
	unsigned int *free;	/* stack of free ids */
	unsigned int nfree;
};

static inline void model_die_oom(void)
{
	fprintf(stderr, "xdpq model: out of memory\n");
	exit(2);
}

/* Empty; nbuckets is the PIFO window, 0 for the other cores. */
static inline void model_reset(struct model *m, u32 nbuckets)
{
	m->n = 0;
	m->base = 0;
	m->nbuckets = nbuckets;
	m->chunks = 0;
}

/* Room for cap entries. */
static inline void model_init(struct model *m, unsigned int cap, u32 nbuckets)
{
	m->e = calloc(cap ?: 1, sizeof(*m->e));
	if (!m->e)
		model_die_oom();
	model_reset(m, nbuckets);
}

static inline void model_fini(struct model *m)
{
	free(m->e);
}

/* Insert behind the entries of equal rank, or ahead of them. */
static inline void model_insert(struct model *m, u64 rank, unsigned int id,
				bool ahead)
{
	unsigned int lo = 0, hi = m->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->e[mid].rank < rank || (!ahead && m->e[mid].rank == rank))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&m->e[lo + 1], &m->e[lo], (m->n - lo) * sizeof(*m->e));
	m->e[lo] = (struct model_entry){ .rank = rank, .id = id };
	m->n++;
}

/* Remove the head; the model must not be empty. */
static inline struct model_entry model_pop(struct model *m)
{
	struct model_entry head = m->e[0];

	memmove(&m->e[0], &m->e[1], (m->n - 1) * sizeof(*m->e));
	m->n--;
	return head;
}

/* Where the PIFO window would start to take rank, slid up as far as the
 * queued entries allow. Only for a non-empty model.
 */
static inline u64 model_pifo_slid_base(const struct model *m, u64 rank)
{
	u64 slid = rank - m->nbuckets + 1;

	return m->e[0].rank < slid ? m->e[0].rank : slid;
}

/* Whether a strict insert of rank into the non-empty model is refused. */
static inline bool model_pifo_beyond(const struct model *m, u64 rank)
{
	return m->n && rank >= m->base && rank - m->base >= m->nbuckets &&
	       rank - model_pifo_slid_base(m, rank) >= m->nbuckets;
}

/* Move the PIFO window for an insert of rank and find its effective rank,
 * *eff; the caller then inserts the entry unless it was refused.
 */
static inline enum model_place model_pifo_place(struct model *m, u64 rank,
						bool strict, u64 *eff)
{
	*eff = rank;
	if (!m->n) {
		if (rank >= m->base && rank - m->base < m->nbuckets)
			return MODEL_INSIDE;
		m->base = rank;
		return MODEL_RESTART;
	}
	if (rank < m->base) {
		*eff = m->base;
		return MODEL_BELOW;
	}
	if (rank - m->base < m->nbuckets)
		return MODEL_INSIDE;
	if (model_pifo_beyond(m, rank)) {
		if (strict)
			return MODEL_REFUSED;
		m->base = model_pifo_slid_base(m, rank);
		*eff = m->base + m->nbuckets - 1;
		return MODEL_CLAMPED;
	}
	m->base = model_pifo_slid_base(m, rank);
	return MODEL_SLID;
}

/* Every node free again, handed out in order of id. */
static inline void model_pool_reset(struct model_pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->n; i++)
		pool->free[i] = pool->n - 1 - i;
	pool->nfree = pool->n;
}

static inline void model_pool_init(struct model_pool *pool, unsigned int n)
{
	unsigned int i;

	pool->nodes = calloc(n ?: 1, sizeof(*pool->nodes));
	pool->free = calloc(n ?: 1, sizeof(*pool->free));
	if (!pool->nodes || !pool->free)
		model_die_oom();
	for (i = 0; i < n; i++)
		pool->nodes[i].id = i;
	pool->n = n;
	model_pool_reset(pool);
}

static inline void model_pool_fini(struct model_pool *pool)
{
	free(pool->nodes);
	free(pool->free);
}

/* A free node, or NULL if all are in use. */
static inline struct model_node *model_pool_get(struct model_pool *pool)
{
	return pool->nfree ? &pool->nodes[pool->free[--pool->nfree]] : NULL;
}

static inline void model_pool_put(struct model_pool *pool,
				  struct model_node *node)
{
	pool->free[pool->nfree++] = node->id;
}

static inline struct model_node *model_node_of(struct xdpq_node *x)
{
	return container_of(x, struct model_node, node);
}

static inline struct model_node *model_node_of_frame(struct xdp_frame *f)
{
	return container_of(f, struct model_node, frame);
}

/* Chunks for a FIFO or PIFO core, handed out from the front. */
struct model_chunk_store {
	struct xdpq_chunk *chunks;
	u64 nr_chunks;		/* allocated */
	u64 nr_given;		/* to the core */
};

static inline void model_chunk_store_alloc(struct model_chunk_store *s,
					   u64 nr_chunks)
{
	size_t bytes = (nr_chunks ?: 1) * sizeof(*s->chunks);

	/* Aligned to their size, as the map's chunks are */
	s->chunks = aligned_alloc(sizeof(*s->chunks), bytes);
	if (!s->chunks)
		model_die_oom();
	memset(s->chunks, 0, bytes);
	s->nr_chunks = nr_chunks;
	s->nr_given = 0;
}

/* Give the core n more chunks of s, as the map does with the map (n from
 * xdpq_chunks_for()) or for a frame put back beyond its size (n 1); false
 * if s has not enough left.
 */
static inline bool model_chunks_give(struct xdpq_chunk_pool *pool,
				     struct model_chunk_store *s, u64 n)
{
	if (s->nr_chunks - s->nr_given < n)
		return false;
	xdpq_chunk_add(pool, &s->chunks[s->nr_given], n);
	s->nr_given += n;
	return true;
}

/* Storage of a PIFO core: nbuckets buckets and their bitmap, and chunks
 * for cap frames, as the map allocates them, plus extra chunks that are
 * not given to the core yet.
 */
struct model_pifo_store {
	struct xdpq_chunk_list *buckets;
	u64 *bitmap;
	struct model_chunk_store chunks;
};

static inline void model_pifo_store_alloc(struct model_pifo_store *s,
					  u32 nbuckets, u64 nr_chunks)
{
	s->buckets = calloc(nbuckets, sizeof(*s->buckets));
	s->bitmap = calloc(xdpq_pifo_layout(NULL, nbuckets),
			   sizeof(*s->bitmap));
	if (!s->buckets || !s->bitmap)
		model_die_oom();
	model_chunk_store_alloc(&s->chunks, nr_chunks);
}

static inline void model_pifo_store_free(struct model_pifo_store *s)
{
	free(s->buckets);
	free(s->bitmap);
	free(s->chunks.chunks);
}

/* An empty core over the first nbuckets buckets of s, with the chunks for
 * cap frames, and the model m reset to match it.
 */
static inline void model_pifo_setup(struct xdpq_pifo *p, struct model *m,
				    struct model_pifo_store *s, u32 nbuckets,
				    unsigned int cap)
{
	memset(s->buckets, 0, nbuckets * sizeof(*s->buckets));
	memset(s->bitmap, 0,
	       xdpq_pifo_layout(NULL, nbuckets) * sizeof(*s->bitmap));
	xdpq_pifo_init(p, s->buckets, s->bitmap, nbuckets);
	model_reset(m, nbuckets);
	s->chunks.nr_given = 0;
	m->chunks = xdpq_chunks_for(cap, nbuckets);
	if (!model_chunks_give(&p->chunks, &s->chunks, m->chunks))
		model_die_oom();
}

/* Give the PIFO core one more chunk of s, as the map does for a frame put
 * back beyond its size; false if s has none left.
 */
static inline bool model_pifo_add_chunk(struct xdpq_pifo *p, struct model *m,
					struct model_pifo_store *s)
{
	if (!model_chunks_give(&p->chunks, &s->chunks, 1))
		return false;
	m->chunks++;
	return true;
}

static char model_why[160];

#define model_mismatch(fmt, ...)					\
	({								\
		snprintf(model_why, sizeof(model_why), fmt, ##__VA_ARGS__); \
		(const char *)model_why;				\
	})

/* The chunk list b (a FIFO sub-queue, a PIFO bucket) holds the model
 * entries [first, first + n) in order, in a chain of chunks from the one
 * of b->head to the one of b->tail, none of them empty; the number of
 * chunks is added to *chunks.
 */
static inline const char *
model_chunk_list_mismatch(const struct xdpq_chunk_list *b,
			  const struct model *m, unsigned int first,
			  unsigned int n, u64 *chunks)
{
	struct xdpq_chunk *c, *last = NULL;
	struct xdp_frame **from, **to;
	unsigned int i = first, nr = 0;

	if (!b->head != !b->tail)
		return model_mismatch("list of entry %u: head %p, tail %p",
				      first, b->head, b->tail);
	for (c = b->head ? xdpq_chunk_of(b->head) : NULL; c;
	     last = c, c = c->next) {
		from = c == xdpq_chunk_of(b->head) ? b->head : c->frames;
		to = c == xdpq_chunk_of(b->tail) ? b->tail : xdpq_chunk_end(c);
		if (from < c->frames || from >= to || to > xdpq_chunk_end(c) ||
		    ++nr > n)
			return model_mismatch("list of entry %u: chunk %u holds [%td, %td)",
					      first, nr, from - c->frames,
					      to - c->frames);
		for (; from < to; from++, i++) {
			if (i == first + n)
				return model_mismatch("list of entry %u: too long",
						      first);
			if (model_node_of_frame(*from)->id != m->e[i].id)
				return model_mismatch("entry %u: id %u, want %u",
						      i,
						      model_node_of_frame(*from)->id,
						      m->e[i].id);
		}
	}
	if (b->tail && last != xdpq_chunk_of(b->tail))
		return model_mismatch("list of entry %u: chain ends off its last chunk",
				      first);
	if (i != first + n)
		return model_mismatch("list of entry %u: %u entries, want %u",
				      first, i - first, n);
	*chunks += nr;
	return NULL;
}

/* The chunks in lists and the spare ones are the given ones: none
 * leaked, none in two places.
 */
static inline const char *
model_spare_mismatch(const struct xdpq_chunk_pool *pool, u64 given,
		     u64 chunks)
{
	const struct xdpq_chunk *c;

	for (c = pool->spare; c && chunks <= given; c = c->next)
		chunks++;
	if (chunks != given)
		return model_mismatch("%llu chunks in lists and spare, %llu given",
				      (unsigned long long)chunks,
				      (unsigned long long)given);
	return NULL;
}

/* What a core's peek found, against the model's head. */
static inline const char *model_peek_mismatch(bool found, u64 rank,
					      const struct model *m)
{
	if (found != !!m->n || (found && rank != m->e[0].rank))
		return model_mismatch("peek %s %llu, want %llu of %u",
				      found ? "found" : "empty",
				      (unsigned long long)rank,
				      (unsigned long long)(m->n ? m->e[0].rank : 0),
				      m->n);
	return NULL;
}

/* Each bit of the upper bitmap levels says whether its word one level
 * down is non-zero; the leaf level has one bit per non-empty bucket.
 */
static inline const char *model_pifo_bitmap_mismatch(struct xdpq_pifo *p,
						     unsigned int nonempty)
{
	unsigned int leaf = 0;
	u32 level, bit;

	for (bit = 0; bit < p->level_bits[0]; bit += 64)
		leaf += __builtin_popcountll(*xdpq_pifo_word(p, 0, bit));
	if (leaf != nonempty)
		return model_mismatch("%u leaf bits set, %u buckets in use",
				      leaf, nonempty);
	for (level = 1; level < p->levels; level++) {
		for (bit = 0; bit < p->level_bits[level]; bit++) {
			bool below = *xdpq_pifo_word(p, level - 1, bit * 64);
			u64 w = *xdpq_pifo_word(p, level, bit);

			if (!!(w & (1ULL << (bit % 64))) != below)
				return model_mismatch("level %u bit %u", level,
						      bit);
		}
	}
	return NULL;
}

/* The PIFO's count, window and head against the model: O(1). */
static inline const char *model_pifo_head_mismatch(const struct xdpq_pifo *p,
						   const struct model *m)
{
	u64 rank = 0;
	bool found;

	if (p->count != m->n)
		return model_mismatch("count %llu, want %u",
				      (unsigned long long)p->count, m->n);
	if (p->base != m->base)
		return model_mismatch("base %llu, want %llu",
				      (unsigned long long)p->base,
				      (unsigned long long)m->base);
	found = xdpq_pifo_peek(p, &rank);
	return model_peek_mismatch(found, rank, m);
}

/* All of the PIFO against the model: the above, the buckets, the bitmap,
 * and the chunks: those in the buckets and the spare ones are all the core
 * was given. O(n + nbuckets / 64): each bucket holds one effective rank,
 * so the buckets of the model's ranks hold all the entries.
 */
static inline const char *model_pifo_mismatch(struct xdpq_pifo *p,
					      const struct model *m)
{
	const char *why = model_pifo_head_mismatch(p, m);
	unsigned int i, run, nonempty = 0;
	u64 mask = p->nbuckets - 1, rank, chunks = 0;

	if (why)
		return why;
	for (i = 0; i < m->n; i += run) {
		rank = m->e[i].rank;
		if (rank < m->base || rank - m->base > mask)
			return model_mismatch("rank %llu outside the window",
					      (unsigned long long)rank);
		for (run = 1; i + run < m->n && m->e[i + run].rank == rank;)
			run++;
		if (!(*xdpq_pifo_word(p, 0, rank & mask) &
		      (1ULL << ((rank & mask) % 64))))
			return model_mismatch("bucket of rank %llu not marked",
					      (unsigned long long)rank);
		why = model_chunk_list_mismatch(&p->buckets[rank & mask], m, i,
						run, &chunks);
		if (why)
			return why;
		nonempty++;
	}
	why = model_spare_mismatch(&p->chunks, m->chunks, chunks);
	return why ?: model_pifo_bitmap_mismatch(p, nonempty);
}

/* Black nodes on every path below rb, or -1 if the red-black rules or the
 * parent links are broken there.
 */
static inline int model_rb_black_height(const struct rb_node *rb,
					const struct rb_node *parent)
{
	int left, right;

	if (!rb)
		return 1;
	if (rb_parent(rb) != parent)
		return -1;
	if (rb_is_red(rb) && ((rb->rb_left && rb_is_red(rb->rb_left)) ||
			      (rb->rb_right && rb_is_red(rb->rb_right))))
		return -1;
	left = model_rb_black_height(rb->rb_left, rb);
	right = model_rb_black_height(rb->rb_right, rb);
	if (left < 0 || left != right)
		return -1;
	return left + rb_is_black(rb);
}

/* The rbtree's head against the model: O(1). */
static inline const char *model_rbtree_head_mismatch(const struct xdpq_rbtree *t,
						     const struct model *m)
{
	u64 rank = 0;
	bool found = xdpq_rbtree_peek(t, &rank);

	return model_peek_mismatch(found, rank, m);
}

/* All of the rbtree against the model: in-order walk, cached leftmost,
 * parent links and red-black rules. O(n).
 */
static inline const char *model_rbtree_mismatch(struct xdpq_rbtree *t,
						const struct model *m)
{
	struct rb_node *rb = rb_first(&t->root.rb_root);
	unsigned int i;

	if (rb != rb_first_cached(&t->root))
		return model_mismatch("cached leftmost is stale");
	for (i = 0; rb; rb = rb_next(rb), i++) {
		struct xdpq_node *x = xdpq_rbtree_node(rb);

		if (i == m->n)
			return model_mismatch("more than %u nodes", m->n);
		if (model_node_of(x)->id != m->e[i].id ||
		    x->rank != m->e[i].rank)
			return model_mismatch("node %u: id %u rank %llu, want id %u rank %llu",
					      i, model_node_of(x)->id,
					      (unsigned long long)x->rank,
					      m->e[i].id,
					      (unsigned long long)m->e[i].rank);
	}
	if (i != m->n)
		return model_mismatch("%u nodes, want %u", i, m->n);
	rb = t->root.rb_root.rb_node;
	if ((rb && rb_is_red(rb)) || model_rb_black_height(rb, NULL) < 0)
		return model_mismatch("red-black rules broken");
	return NULL;
}

#endif /* __XDPQ_MODEL_H__ */
