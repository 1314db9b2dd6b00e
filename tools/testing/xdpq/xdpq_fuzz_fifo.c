// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer fuzzer of the FIFO ordering core (the list operations of
 * kernel/bpf/queue_map_fifo.h) against one model per sub-queue
 * (xdpq_model.h, every rank 0); see xdpq_fuzz.h for the input format.
 *
 * The first byte picks the number of sub-queues, 1 to FIFO_FUZZ_SUBQ.
 * The operations: enqueue of a bulk of frames of some lengths, each to
 * some sub-queue, dequeue from one, bulk dequeue from one of up to
 * FUZZ_BULK frames within a byte budget, requeue of the last node
 * dequeued to the head of its sub-queue, release of it, and a full
 * comparison of every sub-queue's list with its model. The emptiness of
 * the sub-queue an operation touched is compared after it; at the end
 * every list, then each sub-queue is drained in order.
 */
#include "../../../kernel/bpf/queue_map_fifo.h"
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

static struct list_head fifo_subq[FIFO_FUZZ_SUBQ];
static struct model fifo_model[FIFO_FUZZ_SUBQ];
static struct fuzz_nodes fifo_nodes;
static u32 fifo_nr_subq;

static u32 fifo_pick_subq(struct fuzz_input *in)
{
	return fuzz_byte(in) % fifo_nr_subq;
}

/* A bulk of n frames, their sub-queues and lengths from the input.
 * Returns the sub-queue of the last one.
 */
static u32 fifo_push(struct fuzz_input *in, unsigned int n)
{
	struct xdp_frame *frames[FUZZ_BULK];
	struct model_node *node;
	unsigned int i;
	u32 subq = 0;

	for (i = 0; i < n; i++) {
		node = model_pool_get(&fifo_nodes.pool);
		if (!node)
			break;
		subq = fifo_pick_subq(in);
		node->frame.len = fuzz_byte(in) + 1;
		node->node.subq = subq;
		frames[i] = &node->frame;
		model_insert(&fifo_model[subq], 0, node->id, false);
	}
	xdpq_fifo_push_bulk(fifo_subq, frames, i);
	return subq;
}

static void fifo_pop(u32 subq)
{
	struct xdpq_node *x = xdpq_fifo_pop(&fifo_subq[subq]);

	fuzz_dequeued(&fifo_nodes, &fifo_model[subq],
		      x ? model_node_of(x) : NULL);
}

static void fifo_pop_bulk(struct fuzz_input *in, u32 subq)
{
	struct xdp_frame *frames[FUZZ_BULK];
	u64 bytes, max_bytes, after;
	unsigned int n, got;

	fuzz_bulk_args(in, &n, &bytes, &max_bytes);
	after = bytes;
	got = xdpq_fifo_pop_bulk(&fifo_subq[subq], frames, n, max_bytes,
				 &after);
	fuzz_dequeued_bulk(&fifo_nodes, &fifo_model[subq], frames, got, n,
			   bytes, max_bytes, after);
}

/* Returns the sub-queue it went back to. */
static u32 fifo_requeue(void)
{
	struct model_node *node = fuzz_unhold(&fifo_nodes);

	if (!node)
		return 0;
	xdpq_fifo_push_head(&fifo_subq[node->node.subq], &node->node);
	model_insert(&fifo_model[node->node.subq], 0, node->id, true);
	return node->node.subq;
}

static const char *fifo_mismatch(void)
{
	const char *why = NULL;
	u32 i;

	for (i = 0; i < fifo_nr_subq && !why; i++)
		why = model_list_mismatch(&fifo_subq[i], &fifo_model[i], 0,
					  fifo_model[i].n);
	return why;
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
	FUZZ_CHECK(list_empty(&fifo_subq[subq]) == !fifo_model[subq].n,
		   "sub-queue %u: empty %d, want %u queued", subq,
		   list_empty(&fifo_subq[subq]), fifo_model[subq].n);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { .data = data, .len = size };
	u32 i;

	fifo_nr_subq = 1 + fuzz_byte(&in) % FIFO_FUZZ_SUBQ;
	for (i = 0; i < fifo_nr_subq; i++) {
		INIT_LIST_HEAD(&fifo_subq[i]);
		fuzz_model_reset(&fifo_model[i], 0);
	}
	fuzz_nodes_reset(&fifo_nodes);

	while (in.len)
		fifo_op(&in);

	FUZZ_CHECK_MODEL(fifo_mismatch());
	for (i = 0; i < fifo_nr_subq; i++) {
		while (fifo_model[i].n)
			fifo_pop(i);
		FUZZ_CHECK(!xdpq_fifo_pop(&fifo_subq[i]),
			   "sub-queue %u not empty once drained", i);
	}
	return 0;
}
