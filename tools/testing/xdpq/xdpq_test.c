// SPDX-License-Identifier: GPL-2.0-only
/* Randomised property tests of the XDP queue map ordering cores.
 *
 * Each core is driven with a random mix of enqueues and dequeues and
 * compared, operation by operation, with a reference model: a list kept
 * sorted by (rank, arrival). Ranks include duplicates, ranks below the
 * head, and for the PIFO ranks beyond the window (clamped or, strict,
 * refused) and a rank clock that sweeps over many window lengths, also up
 * to the top of the u64 range, and strict priorities that must never be
 * adjusted. After each operation the peeked head rank, the count and the
 * PIFO window start are compared; the PIFO bitmap is checked against the
 * buckets from time to time. A targeted case checks that higher
 * priorities leave ahead of queued lower ones.
 *
 * Usage: xdpq_test [ops per configuration] [seed]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../kernel/bpf/queue_map_pifo.h"
#include "../../../kernel/bpf/queue_map_rbtree.h"

struct tnode {
	struct xdpq_node node;
	unsigned int id;
	int queued;
};

struct ref {		/* reference model entry */
	u64 rank;
	u64 seq;
	unsigned int id;
};

static struct ref *model;
static unsigned int model_n;
static u64 seq;
static unsigned long failures, total_ops;
static u64 rng_state;

static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

#define CHECK(cond, fmt, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "FAIL %s:%d: " fmt "\n",	\
				__func__, __LINE__, ##__VA_ARGS__);	\
			if (++failures > 20)				\
				exit(1);				\
		}							\
	} while (0)

/* Insert keeping (rank, seq) order: after all entries of equal rank. */
static void model_push(u64 rank, unsigned int id)
{
	unsigned int lo = 0, hi = model_n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (model[mid].rank <= rank)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&model[lo + 1], &model[lo], (model_n - lo) * sizeof(*model));
	model[lo] = (struct ref){ .rank = rank, .seq = seq++, .id = id };
	model_n++;
}

static struct ref model_pop(void)
{
	struct ref r = model[0];

	memmove(&model[0], &model[1], (model_n - 1) * sizeof(*model));
	model_n--;
	return r;
}

static struct tnode *nodes;
static unsigned int *free_ids, nfree;

static void pool_init(unsigned int n)
{
	unsigned int i;

	nodes = calloc(n, sizeof(*nodes));
	free_ids = calloc(n, sizeof(*free_ids));
	model = calloc(n, sizeof(*model));
	if (!nodes || !free_ids || !model)
		exit(2);
	for (i = 0; i < n; i++) {
		nodes[i].id = i;
		free_ids[i] = n - 1 - i;
	}
	nfree = n;
	model_n = 0;
	seq = 0;
}

static void pool_fini(void)
{
	free(nodes);
	free(free_ids);
	free(model);
}

/* Phase of the enqueue probability, in percent: fill, drain, hover. */
static unsigned int enq_percent(unsigned long op)
{
	switch ((op / 5000) % 4) {
	case 0:
		return 70;
	case 1:
		return 30;
	case 2:
		return 52;
	default:
		return op % 20000 < 17500 ? 50 : 5;	/* drain to empty */
	}
}

/* PIFO: bitmap bits match the non-empty buckets, at every level. */
static void pifo_check_bitmap(struct xdpq_pifo *p)
{
	u32 level, bit;

	for (bit = 0; bit < p->nbuckets; bit++) {
		int set = !!(*xdpq_pifo_word(p, 0, bit) & (1ULL << (bit % 64)));

		CHECK(set == !list_empty(&p->buckets[bit]),
		      "leaf bit %u: %d", bit, set);
	}
	for (level = 1; level < p->levels; level++) {
		for (bit = 0; bit < p->level_bits[level]; bit++) {
			u64 below = *xdpq_pifo_word(p, level - 1, bit * 64);
			u64 w = *xdpq_pifo_word(p, level, bit);
			int set = !!(w & (1ULL << (bit % 64)));

			CHECK(set == !!below, "level %u bit %u", level, bit);
		}
	}
}

/* With prio, ranks are priorities 0..nbuckets - 1: they stay inside the
 * initial window, so none is adjusted.
 */
static void test_pifo(u32 nbuckets, unsigned long ops, u64 start,
		      unsigned int cap, bool prio)
{
	u32 words = xdpq_pifo_layout(NULL, nbuckets);
	struct list_head *buckets = calloc(nbuckets, sizeof(*buckets));
	u64 *bitmap = calloc(words, sizeof(*bitmap));
	unsigned long op, clamped = 0, refused = 0, below = 0, restarts = 0;
	unsigned long enq = 0, deq = 0, slides = 0;
	u64 clock = start, base = 0;
	struct xdpq_pifo p;
	unsigned int maxdepth = 0;

	if (!buckets || !bitmap)
		exit(2);
	xdpq_pifo_init(&p, buckets, bitmap, nbuckets);
	pool_init(cap);

	for (op = 0; op < ops; op++) {
		bool do_enq = rnd_below(100) < enq_percent(op);
		u64 rank, peek;

		if (do_enq && nfree) {
			unsigned int id = free_ids[--nfree];
			struct tnode *t = &nodes[id];
			bool strict = rnd_below(4) == 0;
			u64 eff = 0, model_eff, d, slid;
			int err, model_err = 0;
			bool model_beyond = false;

			/* rank relative to a clock that moves forward by
			 * about nbuckets / 512 + 1 per enqueue on average
			 */
			clock += rnd_below(nbuckets / 256 + 2);
			switch (rnd_below(10)) {
			case 0:		/* far beyond the window */
				d = nbuckets + rnd_below(4 * (u64)nbuckets);
				break;
			case 1:		/* a duplicate of the clock */
				d = 0;
				break;
			case 2:		/* behind */
				rank = clock - rnd_below(nbuckets);
				d = ~0ULL;
				break;
			default:
				d = rnd_below(nbuckets);
			}
			if (d != ~0ULL) {
				rank = clock + d;
				if (rank < clock)	/* no u64 wrap */
					rank = ~0ULL;
			}
			if (prio)
				rank = rnd_below(nbuckets);

			/* The model of the window, see queue_map_pifo.h:
			 * base only moves on enqueue; the head is model[0].
			 */
			model_eff = rank;
			if (!model_n) {
				if (rank < base || rank - base >= nbuckets) {
					base = rank;
					restarts++;
				}
			} else if (rank < base) {
				model_eff = base;
				below++;
			} else if (rank - base >= nbuckets) {
				/* slide as far as the head allows */
				slid = rank - nbuckets + 1;
				if (model[0].rank < slid)
					slid = model[0].rank;
				if (rank - slid < nbuckets) {
					base = slid;
					slides++;
				} else if (strict) {
					model_beyond = true;
					model_err = -ERANGE;
					refused++;
				} else {
					base = slid;
					model_eff = base + nbuckets - 1;
					clamped++;
				}
			}
			if (prio)
				CHECK(model_eff == rank && base == 0,
				      "priority %llu moved", (unsigned long long)rank);

			/* The lockless check agrees with a strict push when
			 * the queue is not empty (the map checks depth).
			 */
			CHECK(!model_n || !strict ||
			      xdpq_pifo_beyond(&p, rank) == model_beyond,
			      "beyond(%llu)", (unsigned long long)rank);
			err = xdpq_pifo_push(&p, &t->node.list, rank, strict,
					     &eff);
			CHECK(err == model_err, "push err %d want %d", err,
			      model_err);
			if (err) {
				free_ids[nfree++] = id;
			} else {
				CHECK(eff == model_eff, "eff %llu want %llu",
				      (unsigned long long)eff,
				      (unsigned long long)model_eff);
				t->node.rank = eff;
				model_push(model_eff, id);
				enq++;
			}
		} else {
			struct list_head *e = xdpq_pifo_pop(&p);

			if (!model_n) {
				CHECK(!e, "pop from empty queue");
			} else {
				struct ref r = model_pop();
				struct tnode *t;

				CHECK(e, "pop returned NULL, depth %u", model_n + 1);
				if (!e)
					exit(1);
				t = container_of(e, struct tnode, node.list);
				CHECK(t->id == r.id && t->node.rank == r.rank,
				      "pop id %u rank %llu, want id %u rank %llu",
				      t->id, (unsigned long long)t->node.rank,
				      r.id, (unsigned long long)r.rank);
				free_ids[nfree++] = t->id;
				deq++;
			}
		}

		CHECK(p.count == model_n, "count %llu want %u",
		      (unsigned long long)p.count, model_n);
		CHECK(p.base == base, "base %llu want %llu",
		      (unsigned long long)p.base, (unsigned long long)base);
		if (model_n) {
			CHECK(xdpq_pifo_peek(&p, &peek) && peek == model[0].rank,
			      "peek %llu want %llu", (unsigned long long)peek,
			      (unsigned long long)model[0].rank);
		} else {
			CHECK(!xdpq_pifo_peek(&p, &peek), "peek on empty");
		}
		if (model_n > maxdepth)
			maxdepth = model_n;
		if (nbuckets <= 4096 && op % 997 == 0)
			pifo_check_bitmap(&p);
	}
	/* drain */
	while (model_n) {
		struct list_head *e = xdpq_pifo_pop(&p);
		struct ref r = model_pop();

		CHECK(e && container_of(e, struct tnode, node.list)->id == r.id,
		      "drain order");
	}
	CHECK(!xdpq_pifo_pop(&p) && !p.count, "not empty after drain");
	if (nbuckets <= 4096)
		pifo_check_bitmap(&p);

	printf("pifo   nbuckets %-8u %s %-20llu ops %lu: enq %lu deq %lu clamped %lu refused %lu below %lu slides %lu restarts %lu max depth %u, clock swept %.1f windows\n",
	       nbuckets, prio ? "prio " : "start", (unsigned long long)start,
	       ops, enq, deq, clamped, refused, below, slides, restarts,
	       maxdepth, (double)(clock - start) / nbuckets);
	total_ops += ops;
	pool_fini();
	free(buckets);
	free(bitmap);
}

/* Strict priorities in an 8-bucket PIFO: a queue that holds only rank 5
 * takes a rank 0, then a rank 3, ahead of the 5s. The 5s are queued into
 * an empty queue (case 0), or left by draining a lower rank (case 1).
 */
static void test_pifo_priority(void)
{
	static const u64 fill[][4] = { { 5, 5, 5 }, { 1, 5, 5, 5 } };
	static const unsigned int nfill[] = { 3, 4 };
	static const u64 want[] = { 0, 3, 5, 5, 5 };
	struct list_head buckets[8], *e;
	u64 bitmap[1], eff, rank;
	unsigned int c, i, n;
	struct tnode t[6];
	struct xdpq_pifo p;

	for (c = 0; c < ARRAY_SIZE(fill); c++) {
		memset(bitmap, 0, sizeof(bitmap));
		memset(t, 0, sizeof(t));
		xdpq_pifo_init(&p, buckets, bitmap, 8);
		for (n = 0; n < nfill[c]; n++) {
			CHECK(!xdpq_pifo_push(&p, &t[n].node.list, fill[c][n],
					      false, &eff) && eff == fill[c][n],
			      "case %u push %llu", c,
			      (unsigned long long)fill[c][n]);
			t[n].node.rank = eff;
			t[n].id = n;
		}
		if (c == 1)
			CHECK(xdpq_pifo_pop(&p) == &t[0].node.list, "case 1 pop 1");
		CHECK(xdpq_pifo_peek(&p, &rank) && rank == 5, "case %u head", c);
		/* 0, then 3; strict, as they are inside the window */
		for (i = 0; i < 2; i++, n++) {
			rank = i ? 3 : 0;
			CHECK(!xdpq_pifo_push(&p, &t[n].node.list, rank, true,
					      &eff) && eff == rank,
			      "case %u push %llu: eff %llu", c,
			      (unsigned long long)rank, (unsigned long long)eff);
			t[n].node.rank = eff;
			t[n].id = n;
		}
		CHECK(p.base == 0, "case %u base %llu", c,
		      (unsigned long long)p.base);
		for (i = 0; i < ARRAY_SIZE(want); i++) {
			e = xdpq_pifo_pop(&p);
			CHECK(e, "case %u pop %u: empty", c, i);
			if (!e)
				break;
			rank = container_of(e, struct tnode, node.list)->node.rank;
			CHECK(rank == want[i], "case %u pop %u: rank %llu want %llu",
			      c, i, (unsigned long long)rank,
			      (unsigned long long)want[i]);
			if (i == 0)
				CHECK(e == &t[n - 2].node.list,
				      "case %u: not the rank 0 frame first", c);
		}
		CHECK(!xdpq_pifo_pop(&p) && !p.count, "case %u not empty", c);
		pifo_check_bitmap(&p);
	}
	printf("pifo   priority: ranks 0 and 3 leave ahead of queued 5s\n");
}

static void test_rbtree(unsigned long ops, unsigned int cap, u64 spread)
{
	unsigned long op, enq = 0, deq = 0;
	struct xdpq_rbtree t;
	unsigned int maxdepth = 0;
	u64 dups[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		dups[i] = rnd_below(spread);
	xdpq_rbtree_init(&t);
	pool_init(cap);

	for (op = 0; op < ops; op++) {
		bool do_enq = rnd_below(100) < enq_percent(op);
		u64 rank, peek;

		if (do_enq && nfree) {
			struct tnode *n = &nodes[free_ids[--nfree]];

			rank = rnd_below(3) ? rnd_below(spread) :
					      dups[rnd_below(8)];
			n->node.rank = rank;
			xdpq_rbtree_push(&t, &n->node);
			model_push(rank, n->id);
			enq++;
		} else {
			struct xdpq_node *x = xdpq_rbtree_pop(&t);

			if (!model_n) {
				CHECK(!x, "pop from empty tree");
			} else {
				struct ref r = model_pop();
				struct tnode *n;

				CHECK(x, "pop returned NULL");
				if (!x)
					exit(1);
				n = container_of(x, struct tnode, node);
				CHECK(n->id == r.id && x->rank == r.rank,
				      "pop id %u rank %llu, want id %u rank %llu",
				      n->id, (unsigned long long)x->rank, r.id,
				      (unsigned long long)r.rank);
				free_ids[nfree++] = n->id;
				deq++;
			}
		}
		if (model_n) {
			CHECK(xdpq_rbtree_peek(&t, &peek) &&
			      peek == model[0].rank, "peek %llu want %llu",
			      (unsigned long long)peek,
			      (unsigned long long)model[0].rank);
		} else {
			CHECK(!xdpq_rbtree_peek(&t, &peek), "peek on empty");
		}
		if (model_n > maxdepth)
			maxdepth = model_n;
	}
	while (model_n) {
		struct xdpq_node *x = xdpq_rbtree_pop(&t);
		struct ref r = model_pop();

		CHECK(x && container_of(x, struct tnode, node)->id == r.id,
		      "drain order");
	}
	CHECK(!xdpq_rbtree_pop(&t), "not empty after drain");

	printf("rbtree spread %-20llu ops %lu: enq %lu deq %lu max depth %u\n",
	       (unsigned long long)spread, ops, enq, deq, maxdepth);
	total_ops += ops;
	pool_fini();
}

int main(int argc, char **argv)
{
	unsigned long ops = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	u64 seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed;
	static const u32 sizes[] = { 1, 2, 64, 128, 4096, 1U << 16,
				     XDPQ_PIFO_MAX_BUCKETS };
	unsigned int i;

	rng_state = seed ?: 1;
	printf("seed %llu, sizeof(struct xdpq_node) %zu\n",
	       (unsigned long long)seed, sizeof(struct xdpq_node));

	test_pifo_priority();
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		test_pifo(sizes[i], ops, rnd_below(1000), 2048, false);
	/* the top of the u64 range, ranks saturate at ~0ULL */
	test_pifo(64, ops, ~0ULL - 64 * (u64)ops / 4, 512, false);
	test_pifo(4096, ops, ~0ULL - 4096 * (u64)ops / 4, 512, false);
	/* strict priorities: never adjusted, never move the window */
	test_pifo(8, ops, 0, 512, true);
	test_pifo(64, ops, 0, 512, true);

	test_rbtree(ops, 2048, 100);		/* many duplicates */
	test_rbtree(ops, 2048, 1ULL << 20);
	test_rbtree(ops, 4096, ~0ULL);

	printf("%s: %lu operations, %lu failures\n",
	       failures ? "FAIL" : "PASS", total_ops, failures);
	return failures ? 1 : 0;
}
