// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer fuzzer of the rbtree ordering core
 * (kernel/bpf/queue_map_rbtree.h) against its model (xdpq_model.h); see
 * xdpq_fuzz.h for the input format.
 *
 * The operations are those the map makes of the core: enqueue, dequeue,
 * conditional dequeue, requeue of the last node dequeued (ahead of its
 * equals), release of it, and a full comparison of the tree with the
 * model: in-order walk, cached leftmost, parent links and red-black rules.
 * The head is compared after every operation; at the end the whole tree,
 * then it is drained in order. The tree code is tools/lib/rbtree.c, the
 * user space copy of lib/rbtree.c.
 */
#include "xdpq_fuzz.h"

enum {
	RBTREE_PUSH,
	RBTREE_POP,
	RBTREE_POP_DUE,
	RBTREE_REQUEUE,
	RBTREE_RELEASE,
	RBTREE_CHECK,
	RBTREE_NR_OPS,
};

static struct xdpq_rbtree rbtree;
static struct model rbtree_model;
static struct fuzz_nodes rbtree_nodes;

static u64 rbtree_rank(struct fuzz_input *in)
{
	const struct model *m = &rbtree_model;
	const u64 anchors[] = {
		0, fuzz_head(m), fuzz_tail(m), rbtree_nodes.last_rank, ~0ULL,
	};

	return fuzz_rank(in, anchors, ARRAY_SIZE(anchors));
}

static void rbtree_push(struct fuzz_input *in)
{
	struct model_node *node = model_pool_get(&rbtree_nodes.pool);
	u64 rank = rbtree_rank(in);

	if (!node)
		return;
	node->node.rank = rank;
	xdpq_rbtree_push(&rbtree, &node->node);
	model_insert(&rbtree_model, rank, node->id, false);
	rbtree_nodes.last_rank = rank;
}

static void rbtree_pop(void)
{
	struct xdpq_node *x = xdpq_rbtree_pop(&rbtree);

	fuzz_dequeued(&rbtree_nodes, &rbtree_model, x ? model_node_of(x) : NULL);
}

static void rbtree_pop_due(struct fuzz_input *in)
{
	u64 limit = rbtree_rank(in), head = 0;
	bool found = xdpq_rbtree_peek(&rbtree, &head);

	if (fuzz_due(found, head, &rbtree_model, limit))
		rbtree_pop();
}

static void rbtree_requeue(void)
{
	struct model_node *node = fuzz_unhold(&rbtree_nodes);

	if (!node)
		return;
	xdpq_rbtree_push_head(&rbtree, &node->node);
	model_insert(&rbtree_model, node->node.rank, node->id, true);
}

static void rbtree_op(struct fuzz_input *in)
{
	switch (fuzz_byte(in) % RBTREE_NR_OPS) {
	case RBTREE_PUSH:
		rbtree_push(in);
		break;
	case RBTREE_POP:
		rbtree_pop();
		break;
	case RBTREE_POP_DUE:
		rbtree_pop_due(in);
		break;
	case RBTREE_REQUEUE:
		rbtree_requeue();
		break;
	case RBTREE_RELEASE:
		fuzz_release(&rbtree_nodes);
		break;
	case RBTREE_CHECK:
		FUZZ_CHECK_MODEL(model_rbtree_mismatch(&rbtree, &rbtree_model));
		break;
	}
	FUZZ_CHECK_MODEL(model_rbtree_head_mismatch(&rbtree, &rbtree_model));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { .data = data, .len = size };

	xdpq_rbtree_init(&rbtree);
	fuzz_model_reset(&rbtree_model, 0);
	fuzz_nodes_reset(&rbtree_nodes);

	while (in.len)
		rbtree_op(&in);

	FUZZ_CHECK_MODEL(model_rbtree_mismatch(&rbtree, &rbtree_model));
	while (rbtree_model.n)
		rbtree_pop();
	FUZZ_CHECK(!xdpq_rbtree_pop(&rbtree), "not empty once drained");
	return 0;
}
