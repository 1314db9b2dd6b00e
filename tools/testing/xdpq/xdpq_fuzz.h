/* SPDX-License-Identifier: GPL-2.0-only */
/* Input decoding, node bookkeeping and checks shared by the libFuzzer
 * fuzzers of the ordering cores (xdpq_fuzz_{fifo,pifo,rbtree}.c).
 *
 * A fuzz input is a sequence of operations: an opcode byte each, then the
 * operands it needs; an input cut short reads as zeros. A fuzzer applies
 * each operation to a core and to its model (xdpq_model.h) and checks that
 * the two agree after it. Any disagreement aborts, which libFuzzer reports
 * as a crash, with the input that caused it saved as an artifact.
 *
 * Ranks are decoded as an anchor, a place where a core's rules change
 * (zero, the head, the tail, the last rank queued, the top of the u64
 * range, the PIFO window), plus a signed 16-bit offset, or as a raw u64:
 * the interesting ranks are a few bytes away rather than one in 2^64.
 *
 * Nodes come from a pool of FUZZ_NODES, as many as an input of libFuzzer's
 * default maximum length can queue. A dequeued node is held, like a frame
 * being sent, until the input requeues it (a send the device refused) or
 * releases it (sent); the last one held goes first.
 */
#ifndef __XDPQ_FUZZ_H__
#define __XDPQ_FUZZ_H__

#include <stdint.h>

#include "xdpq_model.h"

#define FUZZ_NODES	4096
#define FUZZ_BULK	16	/* frames per bulk, at most */

struct fuzz_input {
	const u8 *data;
	size_t len;
};

struct fuzz_nodes {
	bool ready;
	struct model_pool pool;
	struct model_node *held[FUZZ_NODES];
	unsigned int nheld;
	u64 last_rank;		/* of the last node queued */
};

#define FUZZ_CHECK(cond, fmt, ...)					\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "xdpq fuzz: %s: " fmt "\n",	\
				__func__, ##__VA_ARGS__);		\
			abort();					\
		}							\
	} while (0)

/* A model_*_mismatch() found nothing. */
#define FUZZ_CHECK_MODEL(mismatch)					\
	do {								\
		const char *__why = (mismatch);				\
									\
		FUZZ_CHECK(!__why, "%s", __why);			\
	} while (0)

static inline u8 fuzz_byte(struct fuzz_input *in)
{
	if (!in->len)
		return 0;
	in->len--;
	return *in->data++;
}

/* n bytes, little-endian, as an unsigned number. */
static inline u64 fuzz_bytes(struct fuzz_input *in, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)fuzz_byte(in) << (8 * i);
	return v;
}

/* A rank: one of the nanchors anchors plus a signed 16-bit offset (which
 * may wrap around the u64 range), or a raw u64.
 */
static inline u64 fuzz_rank(struct fuzz_input *in, const u64 *anchors,
			    unsigned int nanchors)
{
	unsigned int which = fuzz_byte(in) % (nanchors + 1);

	if (which == nanchors)
		return fuzz_bytes(in, 8);
	return anchors[which] + (s16)fuzz_bytes(in, 2);
}

/* The head and tail ranks of the model, 0 when it is empty. */
static inline u64 fuzz_head(const struct model *m)
{
	return m->n ? m->e[0].rank : 0;
}

static inline u64 fuzz_tail(const struct model *m)
{
	return m->n ? m->e[m->n - 1].rank : 0;
}

/* All nodes free, for a new input; the pool is allocated once. */
static inline void fuzz_nodes_reset(struct fuzz_nodes *fn)
{
	if (!fn->ready)
		model_pool_init(&fn->pool, FUZZ_NODES);
	else
		model_pool_reset(&fn->pool);
	fn->ready = true;
	fn->nheld = 0;
	fn->last_rank = 0;
}

/* An empty model for a new input; its storage is allocated once. */
static inline void fuzz_model_reset(struct model *m, u32 nbuckets)
{
	if (!m->e)
		model_init(m, FUZZ_NODES, nbuckets);
	else
		model_reset(m, nbuckets);
}

/* A node dequeued from the core, when the model's head is m's: it must
 * be that entry, with its rank. It is then held.
 */
static inline void fuzz_dequeued(struct fuzz_nodes *fn, struct model *m,
				 struct model_node *node)
{
	struct model_entry want;

	if (!m->n) {
		FUZZ_CHECK(!node, "node %u from an empty queue", node->id);
		return;
	}
	want = model_pop(m);
	FUZZ_CHECK(node, "nothing, want id %u rank %llu", want.id,
		   (unsigned long long)want.rank);
	FUZZ_CHECK(node->id == want.id && node->node.rank == want.rank,
		   "id %u rank %llu, want id %u rank %llu", node->id,
		   (unsigned long long)node->node.rank, want.id,
		   (unsigned long long)want.rank);
	fn->held[fn->nheld++] = node;
}

/* The operands of a bulk dequeue: up to FUZZ_BULK frames, with the
 * sum of what was taken before, its bytes already counted against a
 * budget of *max_bytes.
 */
static inline void fuzz_bulk_args(struct fuzz_input *in, unsigned int *n,
				  struct xdpq_bulk_sum *sum, u64 *max_bytes)
{
	*n = fuzz_byte(in) % (FUZZ_BULK + 1);
	sum->bytes = fuzz_byte(in);
	sum->max_len = fuzz_byte(in);
	sum->flags = fuzz_byte(in);
	*max_bytes = sum->bytes + fuzz_byte(in) * 8;
}

/* A bulk dequeue of n frames, with sum taken before it, its bytes counted
 * against max_bytes, returned got frames and left the sum at *after. They
 * must be the model's next ones, each taken while the bytes before it
 * were below the budget, and summed up in *after; the bulk may only stop
 * short of n frames at the budget or once the model is empty. They are
 * then held.
 */
static inline void fuzz_dequeued_bulk(struct fuzz_nodes *fn, struct model *m,
				      struct xdp_frame **frames,
				      unsigned int got, unsigned int n,
				      struct xdpq_bulk_sum sum, u64 max_bytes,
				      const struct xdpq_bulk_sum *after)
{
	unsigned int i;

	FUZZ_CHECK(got <= n, "%u frames for a bulk of %u", got, n);
	for (i = 0; i < got; i++) {
		FUZZ_CHECK(sum.bytes < max_bytes,
			   "frame %u of %u taken at %llu bytes, budget %llu",
			   i, got, (unsigned long long)sum.bytes,
			   (unsigned long long)max_bytes);
		sum.bytes += frames[i]->len;
		if (frames[i]->len > sum.max_len)
			sum.max_len = frames[i]->len;
		sum.flags |= frames[i]->flags;
		fuzz_dequeued(fn, m, model_node_of(xdpq_frame_node(frames[i])));
	}
	FUZZ_CHECK(after->bytes == sum.bytes,
		   "%llu bytes, the frames add up to %llu",
		   (unsigned long long)after->bytes,
		   (unsigned long long)sum.bytes);
	FUZZ_CHECK(after->max_len == sum.max_len && after->flags == sum.flags,
		   "longest %u, flags %#x; the frames: %u, %#x",
		   after->max_len, after->flags, sum.max_len, sum.flags);
	FUZZ_CHECK(got == n || sum.bytes >= max_bytes || !m->n,
		   "%u of %u frames with %llu of %llu bytes and %u queued", got,
		   n, (unsigned long long)sum.bytes,
		   (unsigned long long)max_bytes, m->n);
}

/* The map core's conditional dequeue (BPF_XDP_DEQUEUE_RANK_LE): whether
 * the head is due at limit, by what the core's peek found and by the model.
 */
static inline bool fuzz_due(bool found, u64 head, const struct model *m,
			    u64 limit)
{
	bool due = found && head <= limit;

	FUZZ_CHECK(due == (m->n && m->e[0].rank <= limit),
		   "head %llu due at %llu: %d", (unsigned long long)head,
		   (unsigned long long)limit, due);
	return due;
}

/* The map size an input picks, for the chunks of a FIFO or PIFO core:
 * small ones to reach it often.
 */
static inline unsigned int fuzz_pick_cap(struct fuzz_input *in)
{
	u8 byte = fuzz_byte(in);

	return byte < 224 ? byte % 32 + 1 :
	       (byte - 223) * (FUZZ_NODES / 32);
}

/* The last node held, taken back for a requeue, or NULL. */
static inline struct model_node *fuzz_unhold(struct fuzz_nodes *fn)
{
	return fn->nheld ? fn->held[--fn->nheld] : NULL;
}

static inline void fuzz_release(struct fuzz_nodes *fn)
{
	struct model_node *node = fuzz_unhold(fn);

	if (node)
		model_pool_put(&fn->pool, node);
}

#endif /* __XDPQ_FUZZ_H__ */
