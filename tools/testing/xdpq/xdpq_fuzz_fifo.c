// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer fuzzer of the FIFO ordering core (kernel/bpf/queue_map_fifo.h
 * over the chunk lists of queue_map_chunk.h) against one model per
 * sub-queue (xdpq_model.h, every rank 0); see xdpq_fuzz.h for the input
 * format.
 *
 * The first byte picks the number of sub-queues, 1 to FIFO_FUZZ_SUBQ. The
 * second picks the map size the core gets chunks for, as for the PIFO
 * (xdpq_fuzz_pifo.c): enqueues stay within it and must not fail for want
 * of a chunk, a requeue beyond it adds a chunk when there is no spare one.
 * The operations: enqueue of a bulk of frames of some lengths, each to
 * some sub-queue (into a single one, copied a chunk's room at a time),
 * dequeue from one, bulk dequeue from one of up to FUZZ_BULK frames
 * within a byte budget, requeue of the last frame dequeued to the head of
 * its sub-queue, release of it, and a full comparison of every
 * sub-queue's chunks with its model and of the chunks with those given.
 * The emptiness of the sub-queue an operation touched is compared after
 * it; at the end every sub-queue, then each is drained in order.
 */
#include "xdpq_fuzz.h"

#define FIFO_FUZZ_SUBQ	4

enum {
	FIFO_PUSH,
	FIFO_POP,
	FIFO_POP_BULK,
	FIFO_REQUEUE,
	FIFO_RELEASE,
	FIFO_CHECK,
	FIFO_NR_OPS,
};

static struct xdpq_chunk_list fifo_subqs[FIFO_FUZZ_SUBQ];
static struct model_chunk_store fifo_store;
static struct xdpq_fifo fifo;
static unsigned int fifo_cap, fifo_queued;
static struct model fifo_model[FIFO_FUZZ_SUBQ];
static struct fuzz_nodes fifo_nodes;
static u32 fifo_nr_subq;

static u32 fifo_pick_subq(struct fuzz_input *in)
{
	return fuzz_byte(in) % fifo_nr_subq;
}

/* A bulk of n frames, their sub-queues and lengths from the input, as
 * many as the map has room for. Returns the sub-queue of the last one.
 */
static u32 fifo_push(struct fuzz_input *in, unsigned int n)
{
	struct xdp_frame *frames[FUZZ_BULK];
	struct model_node *node;
	unsigned int i, queued;
	u32 subq = 0;

	for (i = 0; i < n && fifo_queued + i < fifo_cap; i++) {
		node = model_pool_get(&fifo_nodes.pool);
		if (!node)
			break;
		subq = fifo_pick_subq(in);
		node->frame.len = fuzz_byte(in) + 1;
		node->frame.flags = fuzz_byte(in);
		node->node.subq = subq;
		frames[i] = &node->frame;
		model_insert(&fifo_model[subq], 0, node->id, false);
	}
	queued = xdpq_fifo_push_bulk(&fifo, frames, i);
	FUZZ_CHECK(queued == i, "%u of %u frames queued at %u of %u", queued,
		   i, fifo_queued, fifo_cap);
	fifo_queued += queued;
	return subq;
}

static void fifo_pop(u32 subq)
{
	struct xdp_frame *frame = xdpq_fifo_pop(&fifo, subq);

	fifo_queued -= !!frame;
	fuzz_dequeued(&fifo_nodes, &fifo_model[subq],
		      frame ? model_node_of_frame(frame) : NULL);
}

static void fifo_pop_bulk(struct fuzz_input *in, u32 subq)
{
	struct xdp_frame *frames[FUZZ_BULK];
	struct xdpq_bulk_sum before, after;
	unsigned int n, got;
	u64 max_bytes;

	fuzz_bulk_args(in, &n, &before, &max_bytes);
	after = before;
	got = xdpq_fifo_pop_bulk(&fifo, subq, frames, n, max_bytes, &after);
	fifo_queued -= got;
	fuzz_dequeued_bulk(&fifo_nodes, &fifo_model[subq], frames, got, n,
			   before, max_bytes, &after);
}

/* Returns the sub-queue it went back to. */
static u32 fifo_requeue(void)
{
	struct model_node *node = fuzz_unhold(&fifo_nodes);

	if (!node)
		return 0;
	/* As the map: a chunk added only if the requeue needs one */
	if (!xdpq_chunk_has_spare(&fifo.chunks)) {
		FUZZ_CHECK(fifo_queued >= fifo_cap,
			   "no spare chunk at %u of %u frames", fifo_queued,
			   fifo_cap);
		if (xdpq_chunk_head_full(&fifo_subqs[node->node.subq]))
			FUZZ_CHECK(model_chunks_give(&fifo.chunks, &fifo_store,
						     1),
				   "out of chunks at %u frames", fifo_queued);
	}
	xdpq_fifo_push_head(&fifo, node->node.subq, &node->frame);
	fifo_queued++;
	model_insert(&fifo_model[node->node.subq], 0, node->id, true);
	return node->node.subq;
}

static const char *fifo_mismatch(void)
{
	const char *why = NULL;
	u64 chunks = 0;
	u32 i;

	for (i = 0; i < fifo_nr_subq && !why; i++)
		why = model_chunk_list_mismatch(&fifo_subqs[i], &fifo_model[i],
						0, fifo_model[i].n, &chunks);
	return why ?: model_spare_mismatch(&fifo.chunks, fifo_store.nr_given,
					   chunks);
}

static void fifo_op(struct fuzz_input *in)
{
	u32 subq = 0;

	switch (fuzz_byte(in) % FIFO_NR_OPS) {
	case FIFO_PUSH:
		subq = fifo_push(in, 1 + fuzz_byte(in) % FUZZ_BULK);
		break;
	case FIFO_POP:
		subq = fifo_pick_subq(in);
		fifo_pop(subq);
		break;
	case FIFO_POP_BULK:
		subq = fifo_pick_subq(in);
		fifo_pop_bulk(in, subq);
		break;
	case FIFO_REQUEUE:
		subq = fifo_requeue();
		break;
	case FIFO_RELEASE:
		fuzz_release(&fifo_nodes);
		break;
	case FIFO_CHECK:
		FUZZ_CHECK_MODEL(fifo_mismatch());
		break;
	}
	FUZZ_CHECK(xdpq_fifo_empty(&fifo, subq) == !fifo_model[subq].n,
		   "sub-queue %u: empty %d, want %u queued", subq,
		   xdpq_fifo_empty(&fifo, subq), fifo_model[subq].n);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { .data = data, .len = size };
	u32 i;

	/* Chunks for the largest size, once, and one for each frame that
	 * a requeue may take beyond it
	 */
	if (!fifo_store.chunks)
		model_chunk_store_alloc(&fifo_store,
					xdpq_chunks_for(FUZZ_NODES,
							FIFO_FUZZ_SUBQ) +
					FUZZ_NODES);
	fifo_nr_subq = 1 + fuzz_byte(&in) % FIFO_FUZZ_SUBQ;
	fifo_cap = fuzz_pick_cap(&in);
	memset(fifo_subqs, 0, sizeof(fifo_subqs));
	xdpq_fifo_init(&fifo, fifo_subqs, fifo_nr_subq);
	fifo_store.nr_given = 0;
	model_chunks_give(&fifo.chunks, &fifo_store,
			  xdpq_chunks_for(fifo_cap, fifo_nr_subq));
	fifo_queued = 0;
	for (i = 0; i < fifo_nr_subq; i++)
		fuzz_model_reset(&fifo_model[i], 0);
	fuzz_nodes_reset(&fifo_nodes);

	while (in.len)
		fifo_op(&in);

	FUZZ_CHECK_MODEL(fifo_mismatch());
	for (i = 0; i < fifo_nr_subq; i++) {
		while (fifo_model[i].n)
			fifo_pop(i);
		FUZZ_CHECK(!xdpq_fifo_pop(&fifo, i),
			   "sub-queue %u not empty once drained", i);
	}
	FUZZ_CHECK_MODEL(fifo_mismatch());
	return 0;
}
