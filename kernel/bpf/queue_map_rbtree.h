/* SPDX-License-Identifier: GPL-2.0-only */
/* Ordering core of BPF_MAP_TYPE_XDP_RBTREE: exact ordering of arbitrary
 * 64-bit ranks in a red-black tree with the leftmost node cached.
 *
 * The tree links the struct rb_node in each frame's struct xdpq_node, so
 * it allocates nothing. Insert is O(log n), peek O(1), remove O(log n)
 * (amortised O(1) rebalancing).
 *
 * Equal ranks leave in arrival order without a sequence number:
 * an insert descends to the right on ties, so a new node is placed
 * after every node of equal rank in an in-order walk, and rotations keep
 * the in-order sequence.
 *
 * The core only touches the rb and rank members of struct xdpq_node, so
 * that it can be built and tested in user space (tools/testing/xdpq).
 * Callers serialise all calls.
 */
#ifndef __KERNEL_BPF_QUEUE_MAP_RBTREE_H__
#define __KERNEL_BPF_QUEUE_MAP_RBTREE_H__

#include <linux/rbtree.h>
#include <linux/types.h>
#include <net/xdp_queue.h>

struct xdpq_rbtree {
	struct rb_root_cached root;
};

static inline struct xdpq_node *xdpq_rbtree_node(const struct rb_node *rb)
{
	return rb_entry(rb, struct xdpq_node, rb);
}

static inline void xdpq_rbtree_init(struct xdpq_rbtree *t)
{
	t->root = RB_ROOT_CACHED;
}

/* Queue node behind the nodes of its rank. As rb_add_cached(), but the
 * descent follows child pointers instead of links to them, which saves
 * computing the link's address at each level, and the node becomes the
 * leftmost exactly when it is linked as the left child of the leftmost
 * node, which is checked once instead of at every level.
 */
static inline void xdpq_rbtree_push(struct xdpq_rbtree *t,
				    struct xdpq_node *node)
{
	struct rb_node *parent = t->root.rb_root.rb_node, *child;
	struct rb_node **link = &t->root.rb_root.rb_node;
	u64 rank = node->rank;
	bool left = false;

	if (parent) {
		for (;;) {
			left = rank < xdpq_rbtree_node(parent)->rank;
			child = left ? parent->rb_left : parent->rb_right;
			if (!child)
				break;
			parent = child;
		}
		link = left ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&node->rb, parent, link);
	rb_insert_color_cached(&node->rb, &t->root,
			       !parent || (left && parent == t->root.rb_leftmost));
}

static inline bool xdpq_rbtree_peek(const struct xdpq_rbtree *t, u64 *rank)
{
	struct rb_node *rb = rb_first_cached(&t->root);

	if (!rb)
		return false;
	*rank = xdpq_rbtree_node(rb)->rank;
	return true;
}

static inline bool xdpq_rbtree_less_or_equal(struct rb_node *a,
					     const struct rb_node *b)
{
	return xdpq_rbtree_node(a)->rank <= xdpq_rbtree_node(b)->rank;
}

/* Put back a node xdpq_rbtree_pop() returned: ahead of its equals. */
static inline void xdpq_rbtree_push_head(struct xdpq_rbtree *t,
					 struct xdpq_node *node)
{
	rb_add_cached(&node->rb, &t->root, xdpq_rbtree_less_or_equal);
}

/* Remove and return the node with the lowest rank, or NULL. As
 * rb_erase_cached(), without the walk of rb_next(): the leftmost node has
 * no left child, so by the colour rules at most a red right child without
 * children, which is next in order if there is one, and its parent
 * otherwise.
 */
static inline struct xdpq_node *xdpq_rbtree_pop(struct xdpq_rbtree *t)
{
	struct rb_node *rb = rb_first_cached(&t->root);

	if (!rb)
		return NULL;
	t->root.rb_leftmost = rb->rb_right ?: rb_parent(rb);
	rb_erase(rb, &t->root.rb_root);
	return xdpq_rbtree_node(rb);
}

#endif /* __KERNEL_BPF_QUEUE_MAP_RBTREE_H__ */
