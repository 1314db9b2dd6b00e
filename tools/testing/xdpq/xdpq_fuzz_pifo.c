// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer fuzzer of the PIFO ordering core (kernel/bpf/queue_map_pifo.h)
 * against its model (xdpq_model.h); see xdpq_fuzz.h for the input format.
 *
 * The first byte picks the window, 2^(byte % 21) buckets: every size up
 * to XDPQ_PIFO_MAX_BUCKETS, so one to four bitmap levels. The second
 * picks the map size the core gets chunks for, 1 to 256 frames, or up to
 * FUZZ_NODES: an enqueue is only made while fewer frames are queued, as
 * the map core does, and must not fail for want of a chunk; a requeue
 * beyond the size first adds a chunk when there is no spare one, as the
 * map does. The operations
 * are those the map makes of the core: enqueue of a frame of some length,
 * strict or not; bulk enqueue of up to FUZZ_BULK frames, as the map's
 * flush makes it; dequeue; bulk dequeue of up to FUZZ_BULK frames within a
 * byte budget, across buckets; conditional dequeue; requeue of the last
 * entry dequeued, whose rank may have to move if the window moved
 * meanwhile; release of it; the lockless range check of the map's admit;
 * and a full comparison of buckets and bitmap with the model. Count,
 * window start and head are compared after every operation. At the end
 * the whole core is compared, drained in order and checked empty, bitmap
 * included.
 */
#include "xdpq_fuzz.h"

enum {
	PIFO_PUSH,
	PIFO_PUSH_STRICT,
	PIFO_POP,
	PIFO_POP_DUE,
	PIFO_REQUEUE,
	PIFO_RELEASE,
	PIFO_BEYOND,
	PIFO_CHECK,
	PIFO_POP_BULK,
	PIFO_PUSH_BULK,
	PIFO_NR_OPS,
};

static struct model_pifo_store pifo_store;
static struct xdpq_pifo pifo;
static unsigned int pifo_cap;
static struct model pifo_model;
static struct fuzz_nodes pifo_nodes;

static u64 pifo_rank(struct fuzz_input *in)
{
	const struct model *m = &pifo_model;
	const u64 anchors[] = {
		0, fuzz_head(m), fuzz_tail(m), pifo_nodes.last_rank, ~0ULL,
		m->base, m->base + m->nbuckets,
	};

	return fuzz_rank(in, anchors, ARRAY_SIZE(anchors));
}

static void pifo_push(struct fuzz_input *in, bool strict)
{
	struct model_node *node = model_pool_get(&pifo_nodes.pool);
	u64 rank = pifo_rank(in), eff = 0, want;
	enum model_place place;
	int err;

	if (!node)
		return;
	if (pifo_model.n >= pifo_cap) {	/* the map is full */
		model_pool_put(&pifo_nodes.pool, node);
		return;
	}
	node->frame.len = fuzz_byte(in) + 1;
	node->frame.flags = fuzz_byte(in);
	if (pifo_model.n)	/* the map only asks a non-empty queue */
		FUZZ_CHECK(xdpq_pifo_beyond(&pifo, rank) ==
			   model_pifo_beyond(&pifo_model, rank),
			   "beyond(%llu)", (unsigned long long)rank);
	place = model_pifo_place(&pifo_model, rank, strict, &want);
	err = xdpq_pifo_push(&pifo, &node->frame, rank, strict, &eff);
	FUZZ_CHECK(err == (place == MODEL_REFUSED ? -ERANGE : 0),
		   "rank %llu strict %d: err %d, model %d",
		   (unsigned long long)rank, strict, err, place);
	if (err) {
		model_pool_put(&pifo_nodes.pool, node);
		return;
	}
	FUZZ_CHECK(eff == want, "rank %llu: effective %llu, want %llu",
		   (unsigned long long)rank, (unsigned long long)eff,
		   (unsigned long long)want);
	node->node.rank = eff;
	model_insert(&pifo_model, eff, node->id, false);
	pifo_nodes.last_rank = rank;
}

/* Up to FUZZ_BULK frames at once, as the map flushes them: as if pushed
 * one by one, the queued ones first and in order, refused ones behind.
 */
static void pifo_push_bulk(struct fuzz_input *in)
{
	unsigned int n = fuzz_byte(in) % FUZZ_BULK + 1, i, j, got;
	struct model_node *node, *want[FUZZ_BULK], *refused[FUZZ_BULK];
	unsigned int queued = 0, nrefused = 0;
	struct xdp_frame *frames[FUZZ_BULK];
	bool strict, seen[FUZZ_BULK] = {};
	u64 rank, want_eff[FUZZ_BULK];
	enum model_place place;

	/* The map stages no more than it has room for */
	n = min(n, pifo_cap - min(pifo_model.n, pifo_cap));
	for (i = 0; i < n; i++) {
		node = model_pool_get(&pifo_nodes.pool);
		if (!node)
			break;
		strict = fuzz_byte(in) & 1;
		rank = pifo_rank(in);
		node->frame.len = fuzz_byte(in) + 1;
		node->frame.flags = fuzz_byte(in);
		node->node.rank = rank;
		node->node.flags = strict ? BPF_F_RANK_STRICT : 0;
		frames[i] = &node->frame;
		place = model_pifo_place(&pifo_model, rank, strict,
					 &want_eff[queued]);
		if (place == MODEL_REFUSED) {
			refused[nrefused++] = node;
			continue;
		}
		model_insert(&pifo_model, want_eff[queued], node->id, false);
		want[queued++] = node;
		pifo_nodes.last_rank = rank;
	}
	n = i;
	got = xdpq_pifo_push_bulk(&pifo, frames, n);
	FUZZ_CHECK(got == queued, "bulk of %u queued %u, model %u", n, got,
		   queued);
	for (i = 0; i < got; i++) {
		node = model_node_of_frame(frames[i]);
		FUZZ_CHECK(node == want[i] && node->node.rank == want_eff[i],
			   "bulk frame %u: id %u at %llu, want id %u at %llu",
			   i, node->id, (unsigned long long)node->node.rank,
			   want[i]->id, (unsigned long long)want_eff[i]);
	}
	/* The refused ones behind, each once, in any order */
	for (i = got; i < n; i++) {
		node = model_node_of_frame(frames[i]);
		for (j = 0; j < nrefused && (refused[j] != node || seen[j]); j++)
			;
		FUZZ_CHECK(j < nrefused, "bulk frame %u: id %u not refused", i,
			   node->id);
		seen[j] = true;
	}
	for (i = 0; i < nrefused; i++)
		model_pool_put(&pifo_nodes.pool, refused[i]);
}

static void pifo_pop(void)
{
	u64 rank = 0;
	struct xdp_frame *frame = xdpq_pifo_pop(&pifo, &rank);

	FUZZ_CHECK(!frame || rank == model_node_of_frame(frame)->node.rank,
		   "popped at rank %llu, queued at %llu",
		   (unsigned long long)rank,
		   (unsigned long long)model_node_of_frame(frame)->node.rank);
	fuzz_dequeued(&pifo_nodes, &pifo_model,
		      frame ? model_node_of_frame(frame) : NULL);
}

static void pifo_pop_bulk(struct fuzz_input *in)
{
	struct xdp_frame *frames[FUZZ_BULK];
	struct xdpq_bulk_sum before, after;
	unsigned int n, got;
	u64 max_bytes;

	fuzz_bulk_args(in, &n, &before, &max_bytes);
	after = before;
	got = xdpq_pifo_pop_bulk(&pifo, frames, n, max_bytes, &after);
	fuzz_dequeued_bulk(&pifo_nodes, &pifo_model, frames, got, n, before,
			   max_bytes, &after);
}

static void pifo_pop_due(struct fuzz_input *in)
{
	u64 limit = pifo_rank(in), head = 0;
	bool found = xdpq_pifo_peek(&pifo, &head);

	if (fuzz_due(found, head, &pifo_model, limit))
		pifo_pop();
}

static void pifo_requeue(void)
{
	struct model_node *node = fuzz_unhold(&pifo_nodes);
	u64 rank, want;

	if (!node)
		return;
	if (!xdpq_chunk_has_spare(&pifo.chunks)) {
		FUZZ_CHECK(pifo_model.n >= pifo_cap,
			   "no spare chunk at %u of %u frames", pifo_model.n,
			   pifo_cap);
		FUZZ_CHECK(model_pifo_add_chunk(&pifo, &pifo_model,
						&pifo_store),
			   "out of chunks at %u frames", pifo_model.n);
	}
	model_pifo_place(&pifo_model, node->node.rank, false, &want);
	rank = xdpq_pifo_push_head(&pifo, &node->frame, node->node.rank);
	FUZZ_CHECK(rank == want, "requeue of %llu at %llu, want %llu",
		   (unsigned long long)node->node.rank,
		   (unsigned long long)rank, (unsigned long long)want);
	node->node.rank = rank;
	model_insert(&pifo_model, rank, node->id, true);
}

static void pifo_beyond(struct fuzz_input *in)
{
	u64 rank = pifo_rank(in);

	if (pifo_model.n)
		FUZZ_CHECK(xdpq_pifo_beyond(&pifo, rank) ==
			   model_pifo_beyond(&pifo_model, rank),
			   "beyond(%llu)", (unsigned long long)rank);
}

static void pifo_op(struct fuzz_input *in)
{
	switch (fuzz_byte(in) % PIFO_NR_OPS) {
	case PIFO_PUSH:
		pifo_push(in, false);
		break;
	case PIFO_PUSH_STRICT:
		pifo_push(in, true);
		break;
	case PIFO_POP:
		pifo_pop();
		break;
	case PIFO_POP_BULK:
		pifo_pop_bulk(in);
		break;
	case PIFO_PUSH_BULK:
		pifo_push_bulk(in);
		break;
	case PIFO_POP_DUE:
		pifo_pop_due(in);
		break;
	case PIFO_REQUEUE:
		pifo_requeue();
		break;
	case PIFO_RELEASE:
		fuzz_release(&pifo_nodes);
		break;
	case PIFO_BEYOND:
		pifo_beyond(in);
		break;
	case PIFO_CHECK:
		FUZZ_CHECK_MODEL(model_pifo_mismatch(&pifo, &pifo_model));
		break;
	}
	FUZZ_CHECK_MODEL(model_pifo_head_mismatch(&pifo, &pifo_model));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { .data = data, .len = size };
	u32 nbuckets = 1U << (fuzz_byte(&in) % 21);
	u64 rank;

	/* Storage for the largest window and size, once; an input uses the
	 * front of it, and each frame requeued beyond the size may add a
	 * chunk.
	 */
	if (!pifo_store.buckets)
		model_pifo_store_alloc(&pifo_store, XDPQ_PIFO_MAX_BUCKETS,
				       xdpq_chunks_for(FUZZ_NODES,
						       XDPQ_PIFO_MAX_BUCKETS) +
				       FUZZ_NODES);
	pifo_cap = fuzz_pick_cap(&in);
	fuzz_model_reset(&pifo_model, nbuckets);
	model_pifo_setup(&pifo, &pifo_model, &pifo_store, nbuckets, pifo_cap);
	fuzz_nodes_reset(&pifo_nodes);

	while (in.len)
		pifo_op(&in);

	FUZZ_CHECK_MODEL(model_pifo_mismatch(&pifo, &pifo_model));
	while (pifo_model.n)
		pifo_pop();
	FUZZ_CHECK(!xdpq_pifo_pop(&pifo, &rank), "not empty once drained");
	FUZZ_CHECK_MODEL(model_pifo_mismatch(&pifo, &pifo_model));
	return 0;
}
