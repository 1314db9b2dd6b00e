// SPDX-License-Identifier: GPL-2.0-only
/* Randomised property tests of the XDP queue map ordering cores.
 *
 * Each core is driven with a random mix of enqueues, dequeues and frames put
 * back at the head (for the FIFO and PIFO also bulk dequeues within a byte
 * budget) and compared, operation by operation, with a reference model: a list
 * kept sorted by (rank, arrival), see xdpq_model.h. Ranks include duplicates,
 * ranks below the head, and for the PIFO ranks beyond the window (clamped or,
 * strict, refused) and a rank clock that sweeps over many window lengths, also
 * up to the top of the u64 range, and strict priorities that must never be
 * adjusted. After each operation the peeked head rank, the count and the PIFO
 * window start are compared (for the FIFO, the emptiness of the sub-queue),
 * and every 997 operations the whole core: FIFO sub-queues and PIFO buckets
 * chunk by chunk, the chunks none of them holds, PIFO bitmap, rbtree in-order
 * walk and shape. Targeted cases check that higher priorities leave ahead of
 * queued lower ones, and what the FIFO and PIFO do when their chunks run out.
 * The fuzzers (xdpq_fuzz_*.c) drive the same model with operation sequences of
 * their own, requeues included.
 *
 * Usage: xdpq_test [ops per configuration] [seed]
 */
#include "xdpq_model.h"

#define PIFO_TEST_BULK	16	/* frames per bulk dequeue, at most */

static struct model model;
static struct model_pool pool;
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

/* A model_*_mismatch() found nothing. */
#define CHECK_MODEL(mismatch)						\
	do {								\
		const char *__why = (mismatch);				\
									\
		CHECK(!__why, "%s", __why);				\
	} while (0)

static void fixture_init(unsigned int cap, u32 nbuckets)
{
	model_init(&model, cap, nbuckets);
	model_pool_init(&pool, cap);
}

static void fixture_fini(void)
{
	model_fini(&model);
	model_pool_fini(&pool);
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

/* A priority 0..nbuckets - 1 with prio, else a rank relative to a clock
 * that moves forward by about nbuckets / 512 + 1 per enqueue on average:
 * far beyond the window, equal to the clock, behind it, or inside the
 * window.
 */
static u64 pifo_test_rank(u64 *clock, u32 nbuckets, bool prio)
{
	u64 rank;

	if (prio)
		return rnd_below(nbuckets);
	*clock += rnd_below(nbuckets / 256 + 2);
	switch (rnd_below(10)) {
	case 0:
		rank = *clock + nbuckets + rnd_below(4 * (u64)nbuckets);
		break;
	case 1:
		return *clock;
	case 2:
		return *clock - rnd_below(nbuckets);
	default:
		rank = *clock + rnd_below(nbuckets);
	}
	return rank < *clock ? ~0ULL : rank;	/* no u64 wrap */
}

/* Returns whether the entry was queued. */
static bool pifo_test_push(struct xdpq_pifo *p, u64 *clock, bool prio,
			   unsigned long *placed)
{
	struct model_node *t = model_pool_get(&pool);
	bool strict = rnd_below(4) == 0;
	u64 rank = pifo_test_rank(clock, p->nbuckets, prio);
	enum model_place place;
	u64 eff = 0, model_eff;
	int err;

	/* The lockless check agrees with a strict push when the queue is
	 * not empty (the map checks depth).
	 */
	CHECK(!model.n || !strict ||
	      xdpq_pifo_beyond(p, rank) == model_pifo_beyond(&model, rank),
	      "beyond(%llu)", (unsigned long long)rank);
	place = model_pifo_place(&model, rank, strict, &model_eff);
	placed[place]++;
	if (prio)
		CHECK(model_eff == rank && model.base == 0,
		      "priority %llu moved", (unsigned long long)rank);

	t->frame.len = 1 + rnd_below(1500);
	/* Fewer frames than the chunks were sized for: never -ENOMEM */
	err = xdpq_pifo_push(p, &t->frame, rank, strict, &eff);
	CHECK(err == (place == MODEL_REFUSED ? -ERANGE : 0), "push err %d", err);
	if (err) {
		model_pool_put(&pool, t);
		return false;
	}
	CHECK(eff == model_eff, "eff %llu want %llu", (unsigned long long)eff,
	      (unsigned long long)model_eff);
	t->node.rank = eff;
	model_insert(&model, model_eff, t->id, false);
	return true;
}

/* A bulk of up to PIFO_TEST_BULK frames, queued as the map flushes them
 * (xdpq_pifo_push_bulk()): as if pushed one by one, the queued ones first
 * and in order. Returns how many were queued.
 */
static unsigned int pifo_test_push_bulk(struct xdpq_pifo *p, u64 *clock,
					bool prio, unsigned long *placed)
{
	struct model_node *t, *want[PIFO_TEST_BULK], *refused[PIFO_TEST_BULK];
	unsigned int i, j, n, queued = 0, nrefused = 0, got;
	struct xdp_frame *frames[PIFO_TEST_BULK];
	u64 want_eff[PIFO_TEST_BULK], rank;
	bool strict, seen[PIFO_TEST_BULK] = {};
	enum model_place place;

	n = 1 + rnd_below(min_t(unsigned int, PIFO_TEST_BULK, pool.nfree));
	for (i = 0; i < n; i++) {
		t = model_pool_get(&pool);
		strict = rnd_below(4) == 0;
		rank = pifo_test_rank(clock, p->nbuckets, prio);
		t->frame.len = 1 + rnd_below(1500);
		t->node.rank = rank;
		t->node.flags = strict ? BPF_F_RANK_STRICT : 0;
		frames[i] = &t->frame;
		place = model_pifo_place(&model, rank, strict, &want_eff[queued]);
		placed[place]++;
		if (place == MODEL_REFUSED) {
			refused[nrefused++] = t;
			continue;
		}
		model_insert(&model, want_eff[queued], t->id, false);
		want[queued++] = t;
	}
	got = xdpq_pifo_push_bulk(p, frames, n);
	CHECK(got == queued, "bulk push of %u queued %u, want %u", n, got,
	      queued);
	for (i = 0; i < min(got, queued); i++) {
		t = model_node_of_frame(frames[i]);
		CHECK(t == want[i] && t->node.rank == want_eff[i],
		      "bulk push: frame %u is id %u at %llu, want id %u at %llu",
		      i, t->id, (unsigned long long)t->node.rank, want[i]->id,
		      (unsigned long long)want_eff[i]);
	}
	/* The refused ones behind, each once, in any order */
	for (i = got; i < n && got == queued; i++) {
		t = model_node_of_frame(frames[i]);
		for (j = 0; j < nrefused && (refused[j] != t || seen[j]); j++)
			;
		CHECK(j < nrefused, "bulk push: frame %u, id %u, not refused", i,
		      t->id);
		if (j < nrefused)
			seen[j] = true;
	}
	for (i = 0; i < nrefused; i++)
		model_pool_put(&pool, refused[i]);
	return got;
}

static void pifo_test_pop(struct xdpq_pifo *p)
{
	u64 rank = 0;
	struct xdp_frame *f = xdpq_pifo_pop(p, &rank);
	struct model_entry r;
	struct model_node *t;

	if (!model.n) {
		CHECK(!f, "pop from empty queue");
		return;
	}
	r = model_pop(&model);
	CHECK(f, "pop returned NULL, depth %u", model.n + 1);
	if (!f)
		exit(1);
	t = model_node_of_frame(f);
	CHECK(t->id == r.id && t->node.rank == r.rank && rank == r.rank,
	      "pop id %u rank %llu (queued at %llu), want id %u rank %llu",
	      t->id, (unsigned long long)rank,
	      (unsigned long long)t->node.rank, r.id,
	      (unsigned long long)r.rank);
	model_pool_put(&pool, t);
}

/* The head taken and put back, as a frame the device gave back: ahead of
 * its equals, at its rank placed in the window again.
 */
static void pifo_test_requeue(struct xdpq_pifo *p)
{
	struct xdp_frame *f;
	struct model_entry r;
	u64 rank = 0, want;

	f = xdpq_pifo_pop(p, &rank);
	r = model_pop(&model);
	CHECK(f && model_node_of_frame(f)->id == r.id && rank == r.rank,
	      "requeue: pop id %u, want %u", f ? model_node_of_frame(f)->id : 0,
	      r.id);
	if (!f)
		exit(1);
	/* Fewer frames than the chunks were sized for: one is spare */
	model_pifo_place(&model, rank, false, &want);
	rank = xdpq_pifo_push_head(p, f, rank);
	CHECK(rank == want, "requeue at %llu, want %llu",
	      (unsigned long long)rank, (unsigned long long)want);
	model_node_of_frame(f)->node.rank = rank;
	model_insert(&model, rank, r.id, true);
}

/* A bulk of up to PIFO_TEST_BULK frames within a budget of bytes, as the
 * map's dequeue_bulk takes them; returns how many.
 */
static unsigned int pifo_test_pop_bulk(struct xdpq_pifo *p)
{
	struct xdp_frame *frames[PIFO_TEST_BULK];
	unsigned int n = rnd_below(PIFO_TEST_BULK + 1), got, i;
	u64 budget = rnd_below(PIFO_TEST_BULK * 1500), sum = 0;
	struct xdpq_bulk_sum bulk = {};
	struct model_entry r;
	struct model_node *t;
	u32 max_len = 0;

	got = xdpq_pifo_pop_bulk(p, frames, n, budget, &bulk);
	CHECK(got <= n && got <= model.n, "bulk of %u took %u of %u", n, got,
	      model.n);
	for (i = 0; i < got; i++) {
		CHECK(sum < budget, "frame %u taken at %llu bytes, budget %llu",
		      i, (unsigned long long)sum, (unsigned long long)budget);
		sum += frames[i]->len;
		max_len = max(max_len, frames[i]->len);
		r = model_pop(&model);
		t = model_node_of(xdpq_frame_node(frames[i]));
		CHECK(t->id == r.id && t->node.rank == r.rank,
		      "bulk id %u rank %llu, want id %u rank %llu", t->id,
		      (unsigned long long)t->node.rank, r.id,
		      (unsigned long long)r.rank);
		model_pool_put(&pool, t);
	}
	CHECK(bulk.bytes == sum && bulk.max_len == max_len,
	      "bulk counted %llu bytes of %llu, longest %u of %u",
	      (unsigned long long)bulk.bytes, (unsigned long long)sum,
	      bulk.max_len, max_len);
	CHECK(got == n || sum >= budget || !model.n,
	      "bulk stopped at %u of %u, %llu of %llu bytes, %u queued", got,
	      n, (unsigned long long)sum, (unsigned long long)budget, model.n);
	return got;
}

/* Ranks go in relative to a clock that sweeps over many windows (see
 * pifo_test_rank()); with prio, they are priorities 0..nbuckets - 1: they
 * stay inside the initial window, so none is adjusted.
 */
static void test_pifo(u32 nbuckets, unsigned long ops, u64 start,
		      unsigned int cap, bool prio)
{
	unsigned long op, placed[MODEL_NR_PLACE] = {}, enq = 0, deq = 0;
	unsigned long requeued = 0;
	struct model_pifo_store store;
	unsigned int maxdepth = 0;
	u64 clock = start;
	struct xdpq_pifo p;

	fixture_init(cap, nbuckets);
	model_pifo_store_alloc(&store, nbuckets,
			       xdpq_chunks_for(cap, nbuckets));
	model_pifo_setup(&p, &model, &store, nbuckets, cap);

	for (op = 0; op < ops; op++) {
		if (rnd_below(100) < enq_percent(op) && pool.nfree) {
			if (rnd_below(4))
				enq += pifo_test_push(&p, &clock, prio, placed);
			else
				enq += pifo_test_push_bulk(&p, &clock, prio,
							   placed);
		} else if (model.n && !rnd_below(8)) {
			pifo_test_requeue(&p);
			requeued++;
		} else if (rnd_below(4)) {
			deq += !!model.n;
			pifo_test_pop(&p);
		} else {
			deq += pifo_test_pop_bulk(&p);
		}
		CHECK_MODEL(model_pifo_head_mismatch(&p, &model));
		if (model.n > maxdepth)
			maxdepth = model.n;
		if (op % 997 == 0)
			CHECK_MODEL(model_pifo_mismatch(&p, &model));
	}
	while (model.n)
		pifo_test_pop(&p);
	CHECK(!xdpq_pifo_pop(&p, &clock), "not empty after drain");
	CHECK_MODEL(model_pifo_mismatch(&p, &model));

	printf("pifo   nbuckets %-8u %s %-20llu ops %lu: enq %lu deq %lu requeued %lu clamped %lu refused %lu below %lu slides %lu restarts %lu max depth %u, clock swept %.1f windows\n",
	       nbuckets, prio ? "prio " : "start", (unsigned long long)start,
	       ops, enq, deq, requeued, placed[MODEL_CLAMPED], placed[MODEL_REFUSED],
	       placed[MODEL_BELOW], placed[MODEL_SLID], placed[MODEL_RESTART],
	       maxdepth, (double)(clock - start) / nbuckets);
	total_ops += ops;
	fixture_fini();
	model_pifo_store_free(&store);
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
	struct model_pifo_store store;
	struct model_node t[6];
	unsigned int c, i, n;
	struct xdp_frame *f;
	struct xdpq_pifo p;
	u64 eff, rank;

	model_pifo_store_alloc(&store, 8, xdpq_chunks_for(ARRAY_SIZE(t), 8));
	for (c = 0; c < ARRAY_SIZE(fill); c++) {
		memset(t, 0, sizeof(t));
		model_pifo_setup(&p, &model, &store, 8, ARRAY_SIZE(t));
		for (n = 0; n < nfill[c]; n++) {
			CHECK(!xdpq_pifo_push(&p, &t[n].frame, fill[c][n],
					      false, &eff) && eff == fill[c][n],
			      "case %u push %llu", c,
			      (unsigned long long)fill[c][n]);
			t[n].node.rank = eff;
			t[n].id = n;
		}
		if (c == 1)
			CHECK(xdpq_pifo_pop(&p, &rank) == &t[0].frame,
			      "case 1 pop 1");
		CHECK(xdpq_pifo_peek(&p, &rank) && rank == 5, "case %u head", c);
		/* 0, then 3; strict, as they are inside the window */
		for (i = 0; i < 2; i++, n++) {
			rank = i ? 3 : 0;
			CHECK(!xdpq_pifo_push(&p, &t[n].frame, rank, true,
					      &eff) && eff == rank,
			      "case %u push %llu: eff %llu", c,
			      (unsigned long long)rank, (unsigned long long)eff);
			t[n].node.rank = eff;
			t[n].id = n;
		}
		CHECK(p.base == 0, "case %u base %llu", c,
		      (unsigned long long)p.base);
		for (i = 0; i < ARRAY_SIZE(want); i++) {
			f = xdpq_pifo_pop(&p, &rank);
			CHECK(f, "case %u pop %u: empty", c, i);
			if (!f)
				break;
			CHECK(rank == want[i], "case %u pop %u: rank %llu want %llu",
			      c, i, (unsigned long long)rank,
			      (unsigned long long)want[i]);
			if (i == 0)
				CHECK(f == &t[n - 2].frame,
				      "case %u: not the rank 0 frame first", c);
		}
		CHECK(!xdpq_pifo_pop(&p, &rank) && !p.count, "case %u not empty",
		      c);
		CHECK_MODEL(model_pifo_mismatch(&p, &model));
	}
	model_pifo_store_free(&store);
	printf("pifo   priority: ranks 0 and 3 leave ahead of queued 5s\n");
}

/* The chunks of one bucket: without a spare chunk, an insert behind the
 * frames of a bucket with room in its last chunk still goes in, one that
 * needs a chunk fails with -ENOMEM and changes nothing; removes give
 * emptied chunks back, and a frame put back ahead of a bucket whose first
 * chunk starts full takes a new chunk in front. Checked against the model
 * after each step.
 */
static void test_pifo_chunks(void)
{
	const unsigned int per = XDPQ_CHUNK_FRAMES;
	struct model_node t[2 * XDPQ_CHUNK_FRAMES + 1];
	struct model_pifo_store store;
	struct model_entry r;
	struct xdp_frame *f;
	struct xdpq_pifo p;
	unsigned int i;
	u64 eff, rank;

	memset(t, 0, sizeof(t));
	for (i = 0; i < ARRAY_SIZE(t); i++)
		t[i].id = i;
	model_init(&model, ARRAY_SIZE(t), 8);
	model_pifo_store_alloc(&store, 8, 2);
	model_pifo_setup(&p, &model, &store, 8, 0);
	CHECK(xdpq_pifo_push(&p, &t[0].frame, 3, false, &eff) == -ENOMEM,
	      "push without chunks");
	CHECK_MODEL(model_pifo_mismatch(&p, &model));

	/* Two chunks: per + 1 frames fill one and start the next */
	for (i = 0; i < 2; i++)
		CHECK(model_pifo_add_chunk(&p, &model, &store), "add chunk");
	for (i = 0; i <= per; i++) {
		CHECK(!xdpq_pifo_push(&p, &t[i].frame, 3, false, &eff),
		      "push %u", i);
		t[i].node.rank = eff;
		model_insert(&model, eff, i, false);
	}
	CHECK(!xdpq_chunk_has_spare(&p.chunks), "a chunk left over");
	CHECK(!xdpq_pifo_push(&p, &t[i].frame, 3, false, &eff) && eff == 3,
	      "push behind rank 3 with room, no spare chunk");
	t[i].node.rank = eff;
	model_insert(&model, eff, i, false);
	i++;
	CHECK(xdpq_pifo_push(&p, &t[i].frame, 4, false, &eff) == -ENOMEM,
	      "push to an empty bucket with no spare chunk");
	CHECK_MODEL(model_pifo_mismatch(&p, &model));
	for (; i < 2 * per; i++) {
		CHECK(!xdpq_pifo_push(&p, &t[i].frame, 3, false, &eff),
		      "push %u", i);
		t[i].node.rank = eff;
		model_insert(&model, eff, i, false);
	}
	CHECK(xdpq_pifo_push(&p, &t[i].frame, 3, false, &eff) == -ENOMEM,
	      "push behind a full last chunk with no spare chunk");
	CHECK_MODEL(model_pifo_mismatch(&p, &model));

	/* Emptying the first chunk gives it back */
	for (i = 0; i < per; i++) {
		f = xdpq_pifo_pop(&p, &rank);
		r = model_pop(&model);
		CHECK(f && model_node_of_frame(f)->id == r.id && rank == 3,
		      "pop %u", i);
	}
	CHECK(xdpq_chunk_has_spare(&p.chunks), "emptied chunk not spare");
	CHECK_MODEL(model_pifo_mismatch(&p, &model));

	/* Put the last one back: ahead of frame per, in a new first chunk */
	xdpq_pifo_push_head(&p, f, rank);
	model_insert(&model, rank, model_node_of_frame(f)->id, true);
	CHECK(!xdpq_chunk_has_spare(&p.chunks), "put back without a chunk");
	CHECK_MODEL(model_pifo_mismatch(&p, &model));
	while (model.n) {
		f = xdpq_pifo_pop(&p, &rank);
		r = model_pop(&model);
		CHECK(f && model_node_of_frame(f)->id == r.id, "drain");
	}
	CHECK_MODEL(model_pifo_mismatch(&p, &model));
	model_fini(&model);
	model_pifo_store_free(&store);
	printf("pifo   chunks: -ENOMEM only if one is needed, chunks given back, taken in front\n");
}

/* Inserts behind the frames of a bucket inside the window [10, 17], and
 * of ranks outside it whose bucket holds frames (21 and 5 share the
 * bucket of 13), which must be placed in the window instead: checked
 * against the model after each.
 */
static void test_pifo_behind(void)
{
	static const u64 ranks[] = { 10, 13, 15, 13, 15, 21, 13, 5, 14, 13 };
	struct model_node t[ARRAY_SIZE(ranks)];
	struct model_pifo_store store;
	struct model_entry r;
	struct xdp_frame *f;
	struct xdpq_pifo p;
	u64 eff, rank, place;
	unsigned int n;

	memset(t, 0, sizeof(t));
	model_init(&model, ARRAY_SIZE(t), 8);
	model_pifo_store_alloc(&store, 8, xdpq_chunks_for(ARRAY_SIZE(t), 8));
	model_pifo_setup(&p, &model, &store, 8, ARRAY_SIZE(t));
	for (n = 0; n < ARRAY_SIZE(ranks); n++) {
		t[n].id = n;
		model_pifo_place(&model, ranks[n], false, &place);
		CHECK(!xdpq_pifo_push(&p, &t[n].frame, ranks[n], false, &eff) &&
		      eff == place, "push %llu: at %llu, want %llu",
		      (unsigned long long)ranks[n], (unsigned long long)eff,
		      (unsigned long long)place);
		t[n].node.rank = eff;
		model_insert(&model, eff, n, false);
		CHECK_MODEL(model_pifo_mismatch(&p, &model));
	}
	while (model.n) {
		f = xdpq_pifo_pop(&p, &rank);
		r = model_pop(&model);
		CHECK(f && model_node_of_frame(f)->id == r.id, "drain");
	}
	model_fini(&model);
	model_pifo_store_free(&store);
	printf("pifo   behind: inserts behind a bucket's frames, not from outside the window\n");
}

#define FIFO_TEST_MAX_SUBQ	64
#define FIFO_TEST_HELD		XDPQ_BULK_SIZE	/* frames out, to put back */

/* The FIFO core as the map drives it, with its models, one per sub-queue:
 * frames are taken out and held, as a send bulk holds them, and may be
 * put back at the head, the last taken first, as a full ring gives them
 * back.
 */
struct fifo_test {
	struct xdpq_fifo f;
	struct xdpq_chunk_list subqs[FIFO_TEST_MAX_SUBQ];
	struct model m[FIFO_TEST_MAX_SUBQ];
	struct model_chunk_store store;
	struct model_node *held[FIFO_TEST_HELD];
	unsigned int nheld, queued, cap;
};

static void fifo_test_push(struct fifo_test *t)
{
	struct xdp_frame *frames[XDPQ_BULK_SIZE];
	unsigned int n = 1 + rnd_below(XDPQ_BULK_SIZE), i, queued;
	u32 subq = rnd_below(t->f.nr_subq);
	struct model_node *node;

	for (i = 0; i < n && t->queued + i < t->cap; i++) {
		node = model_pool_get(&pool);
		if (!node)
			break;
		/* Runs of one sub-queue, as schedulers often queue them */
		if (!rnd_below(4))
			subq = rnd_below(t->f.nr_subq);
		node->node.subq = subq;
		node->frame.len = 1 + rnd_below(1500);
		frames[i] = &node->frame;
		model_insert(&t->m[subq], 0, node->id, false);
	}
	/* Fewer frames than the chunks were sized for: all are queued */
	queued = xdpq_fifo_push_bulk(&t->f, frames, i);
	CHECK(queued == i, "%u of %u frames queued at %u of %u", queued, i,
	      t->queued, t->cap);
	t->queued += queued;
}

/* The frame the core gave for sub-queue subq is the model's head. */
static void fifo_test_taken(struct fifo_test *t, u32 subq,
			    struct xdp_frame *frame)
{
	struct model_entry r = model_pop(&t->m[subq]);
	struct model_node *node = model_node_of_frame(frame);

	CHECK(node->id == r.id, "sub-queue %u: id %u, want %u", subq,
	      node->id, r.id);
	t->queued--;
	if (t->nheld < FIFO_TEST_HELD && rnd_below(2))
		t->held[t->nheld++] = node;
	else
		model_pool_put(&pool, node);
}

static void fifo_test_pop(struct fifo_test *t, u32 subq)
{
	struct xdp_frame *frame = xdpq_fifo_pop(&t->f, subq);

	CHECK(!frame == !t->m[subq].n, "sub-queue %u: pop %s, %u queued",
	      subq, frame ? "a frame" : "nothing", t->m[subq].n);
	if (frame && t->m[subq].n)
		fifo_test_taken(t, subq, frame);
}

static void fifo_test_pop_bulk(struct fifo_test *t, u32 subq)
{
	struct xdp_frame *frames[XDPQ_BULK_SIZE];
	unsigned int n = rnd_below(XDPQ_BULK_SIZE + 1), got, i;
	u64 budget = rnd_below(XDPQ_BULK_SIZE * 1500), sum = 0;
	struct xdpq_bulk_sum bulk = {};
	u32 max_len = 0;

	got = xdpq_fifo_pop_bulk(&t->f, subq, frames, n, budget, &bulk);
	CHECK(got <= n && got <= t->m[subq].n, "bulk of %u took %u of %u", n,
	      got, t->m[subq].n);
	for (i = 0; i < got && t->m[subq].n; i++) {
		CHECK(sum < budget, "frame %u taken at %llu bytes, budget %llu",
		      i, (unsigned long long)sum, (unsigned long long)budget);
		sum += frames[i]->len;
		max_len = max(max_len, frames[i]->len);
		fifo_test_taken(t, subq, frames[i]);
	}
	CHECK(bulk.bytes == sum && bulk.max_len == max_len,
	      "bulk counted %llu bytes of %llu, longest %u of %u",
	      (unsigned long long)bulk.bytes, (unsigned long long)sum,
	      bulk.max_len, max_len);
	CHECK(got == n || sum >= budget || !t->m[subq].n,
	      "bulk stopped at %u of %u, %llu of %llu bytes", got, n,
	      (unsigned long long)sum, (unsigned long long)budget);
}

/* The frame taken last goes back to the head of its sub-queue, with a
 * chunk added first if the queue is beyond its size, has no spare one and
 * the sub-queue needs one.
 */
static void fifo_test_requeue(struct fifo_test *t)
{
	struct model_node *node = t->held[--t->nheld];
	u32 subq = node->node.subq;

	if (!xdpq_chunk_has_spare(&t->f.chunks)) {
		CHECK(t->queued >= t->cap, "no spare chunk at %u of %u frames",
		      t->queued, t->cap);
		if (xdpq_chunk_head_full(&t->subqs[subq]))
			CHECK(model_chunks_give(&t->f.chunks, &t->store, 1),
			      "out of chunks");
	}
	xdpq_fifo_push_head(&t->f, subq, &node->frame);
	model_insert(&t->m[subq], 0, node->id, true);
	t->queued++;
}

/* The chunks running out, which the map's sizing rules out: a bulk into
 * one sub-queue stops at the frame that needs a chunk and finds none, as
 * does a bulk over several; the frames queued stay in order, and a bulk
 * dequeue gives the emptied chunks back.
 */
static void test_fifo_chunks(void)
{
	const unsigned int per = XDPQ_CHUNK_FRAMES, n = 2 * per + 3;
	struct xdp_frame *frames[2 * XDPQ_CHUNK_FRAMES + 3];
	struct xdp_frame *out[ARRAY_SIZE(frames)];
	struct model_node nodes[ARRAY_SIZE(frames)];
	struct xdpq_chunk_list subqs[2];
	struct model_chunk_store store;
	unsigned int i, queued, got;
	struct xdpq_fifo f;
	struct xdpq_bulk_sum bulk = {};
	u64 chunks = 0;
	struct model m;

	memset(nodes, 0, sizeof(nodes));
	for (i = 0; i < n; i++) {
		nodes[i].id = i;
		nodes[i].frame.len = 100;
		nodes[i].node.subq = i % 2;
		frames[i] = &nodes[i].frame;
	}
	/* The second chunk's frames are summed up too */
	nodes[per].frame.flags = 0x10;
	nodes[per + 1].frame.len = 200;
	model_init(&m, n, 0);
	model_chunk_store_alloc(&store, 2);

	/* One sub-queue, two chunks: 2 * per frames of n */
	memset(subqs, 0, sizeof(subqs));
	xdpq_fifo_init(&f, subqs, 1);
	model_chunks_give(&f.chunks, &store, 2);
	queued = xdpq_fifo_push_bulk(&f, frames, n);
	CHECK(queued == 2 * per, "one sub-queue: %u of %u queued", queued, n);
	for (i = 0; i < queued; i++)
		model_insert(&m, 0, i, false);
	CHECK(!xdpq_chunk_has_spare(&f.chunks), "a chunk left over");
	CHECK_MODEL(model_chunk_list_mismatch(&subqs[0], &m, 0, m.n, &chunks));
	got = xdpq_fifo_pop_bulk(&f, 0, out, n, ~0ULL, &bulk);
	CHECK(got == queued && bulk.bytes == 100ULL * queued + 100 &&
	      bulk.max_len == 200 && bulk.flags == 0x10,
	      "drained %u frames, %llu bytes, longest %u, flags %#x", got,
	      (unsigned long long)bulk.bytes, bulk.max_len, bulk.flags);
	for (i = 0; i < got; i++)
		CHECK(model_node_of_frame(out[i])->id == model_pop(&m).id,
		      "frame %u out of order", i);
	CHECK(xdpq_fifo_empty(&f, 0), "not empty");
	CHECK_MODEL(model_spare_mismatch(&f.chunks, store.nr_given, 0));

	/* Two sub-queues, one chunk: the frame for the second finds none */
	memset(subqs, 0, sizeof(subqs));
	xdpq_fifo_init(&f, subqs, 2);
	store.nr_given = 0;
	model_chunks_give(&f.chunks, &store, 1);
	queued = xdpq_fifo_push_bulk(&f, frames, n);
	CHECK(queued == 1 && !xdpq_fifo_empty(&f, 0) && xdpq_fifo_empty(&f, 1),
	      "two sub-queues: %u of %u queued", queued, n);
	CHECK(xdpq_fifo_pop(&f, 0) == frames[0] && xdpq_fifo_empty(&f, 0),
	      "two sub-queues: not the frame queued");
	CHECK_MODEL(model_spare_mismatch(&f.chunks, store.nr_given, 0));

	model_fini(&m);
	free(store.chunks);
	printf("fifo   chunks: bulks stop at the first frame without a chunk, chunks given back\n");
}

static const char *fifo_test_mismatch(struct fifo_test *t)
{
	const char *why = NULL;
	u64 chunks = 0;
	u32 i;

	for (i = 0; i < t->f.nr_subq && !why; i++)
		why = model_chunk_list_mismatch(&t->subqs[i], &t->m[i], 0,
						t->m[i].n, &chunks);
	return why ?: model_spare_mismatch(&t->f.chunks, t->store.nr_given,
					   chunks);
}

/* nr_subq sub-queues with the chunks of a map of cap frames, filled,
 * drained and hovered in between (enq_percent()); the emptiness of the
 * sub-queue an operation touched is compared after it, everything every
 * 997 operations and at the end.
 */
static void test_fifo(u32 nr_subq, unsigned long ops, unsigned int cap)
{
	static struct fifo_test t;
	unsigned long op, requeued = 0, maxdepth = 0;
	u32 i, subq;

	memset(&t, 0, sizeof(t));
	t.cap = cap;
	model_pool_init(&pool, cap + FIFO_TEST_HELD);
	for (i = 0; i < nr_subq; i++)
		model_init(&t.m[i], cap + FIFO_TEST_HELD, 0);
	/* Chunks for cap frames, and one for each frame held */
	model_chunk_store_alloc(&t.store, xdpq_chunks_for(cap, nr_subq) +
					  FIFO_TEST_HELD);
	xdpq_fifo_init(&t.f, t.subqs, nr_subq);
	model_chunks_give(&t.f.chunks, &t.store,
			  xdpq_chunks_for(cap, nr_subq));

	for (op = 0; op < ops; op++) {
		subq = rnd_below(nr_subq);
		if (rnd_below(100) < enq_percent(op)) {
			fifo_test_push(&t);
		} else if (t.nheld && rnd_below(3)) {
			subq = t.held[t.nheld - 1]->node.subq;
			fifo_test_requeue(&t);
			requeued++;
		} else if (rnd_below(2)) {
			fifo_test_pop(&t, subq);
		} else {
			fifo_test_pop_bulk(&t, subq);
		}
		CHECK(xdpq_fifo_empty(&t.f, subq) == !t.m[subq].n,
		      "sub-queue %u: empty %d, %u queued", subq,
		      xdpq_fifo_empty(&t.f, subq), t.m[subq].n);
		if (t.queued > maxdepth)
			maxdepth = t.queued;
		if (op % 997 == 0)
			CHECK_MODEL(fifo_test_mismatch(&t));
	}
	CHECK_MODEL(fifo_test_mismatch(&t));
	for (subq = 0; subq < nr_subq; subq++) {
		while (t.m[subq].n)
			fifo_test_pop(&t, subq);
		CHECK(!xdpq_fifo_pop(&t.f, subq), "sub-queue %u not empty",
		      subq);
	}
	CHECK_MODEL(fifo_test_mismatch(&t));

	printf("fifo   subqs %-4u cap %-6u ops %lu: requeued %lu, chunks beyond the size %llu, max depth %lu\n",
	       nr_subq, cap, ops, requeued,
	       (unsigned long long)(t.store.nr_given -
				    xdpq_chunks_for(cap, nr_subq)),
	       maxdepth);
	total_ops += ops;
	for (i = 0; i < nr_subq; i++)
		model_fini(&t.m[i]);
	model_pool_fini(&pool);
	free(t.store.chunks);
}

static void rbtree_test_pop(struct xdpq_rbtree *t)
{
	struct xdpq_node *x = xdpq_rbtree_pop(t);
	struct model_entry r;
	struct model_node *n;

	if (!model.n) {
		CHECK(!x, "pop from empty tree");
		return;
	}
	r = model_pop(&model);
	CHECK(x, "pop returned NULL");
	if (!x)
		exit(1);
	n = model_node_of(x);
	CHECK(n->id == r.id && x->rank == r.rank,
	      "pop id %u rank %llu, want id %u rank %llu",
	      n->id, (unsigned long long)x->rank, r.id,
	      (unsigned long long)r.rank);
	model_pool_put(&pool, n);
}

/* The head taken and put back, as a frame the device gave back: ahead of
 * its equals.
 */
static void rbtree_test_requeue(struct xdpq_rbtree *t)
{
	struct xdpq_node *x = xdpq_rbtree_pop(t);
	struct model_entry r = model_pop(&model);

	CHECK(x && model_node_of(x)->id == r.id,
	      "requeue: pop id %u, want %u", x ? model_node_of(x)->id : 0,
	      r.id);
	if (!x)
		exit(1);
	xdpq_rbtree_push_head(t, x);
	model_insert(&model, r.rank, r.id, true);
}

/* A rank below spread, a third of them from the 8 of dups; or with
 * departures, a departure time: a clock that moves on by 0 to 2 an insert
 * plus a delay below spread, none for a quarter, so that most inserts go
 * in among the highest ranks queued and the tree leans to the right, as
 * the departure times the map is for make it.
 */
static u64 rbtree_test_rank(u64 *clock, u64 spread, const u64 *dups,
			    bool departures)
{
	if (departures) {
		*clock += rnd_below(3);
		return *clock + (rnd_below(4) ? rnd_below(spread) : 0);
	}
	return rnd_below(3) ? rnd_below(spread) : dups[rnd_below(8)];
}

static void test_rbtree(unsigned long ops, unsigned int cap, u64 spread,
			bool departures)
{
	unsigned long op, enq = 0, deq = 0, requeued = 0;
	unsigned int i, maxdepth = 0;
	struct xdpq_rbtree t;
	u64 dups[8], clock = 0;

	for (i = 0; i < 8; i++)
		dups[i] = rnd_below(spread);
	xdpq_rbtree_init(&t);
	fixture_init(cap, 0);

	for (op = 0; op < ops; op++) {
		if (rnd_below(100) < enq_percent(op) && pool.nfree) {
			struct model_node *n = model_pool_get(&pool);
			u64 rank = rbtree_test_rank(&clock, spread, dups,
						    departures);

			n->node.rank = rank;
			xdpq_rbtree_push(&t, &n->node);
			model_insert(&model, rank, n->id, false);
			enq++;
		} else if (model.n && !rnd_below(8)) {
			rbtree_test_requeue(&t);
			requeued++;
		} else {
			deq += !!model.n;
			rbtree_test_pop(&t);
		}
		CHECK_MODEL(model_rbtree_head_mismatch(&t, &model));
		if (model.n > maxdepth)
			maxdepth = model.n;
		if (op % 997 == 0)
			CHECK_MODEL(model_rbtree_mismatch(&t, &model));
	}
	while (model.n)
		rbtree_test_pop(&t);
	CHECK(!xdpq_rbtree_pop(&t), "not empty after drain");

	printf("rbtree %s %-20llu ops %lu: enq %lu deq %lu requeued %lu max depth %u\n",
	       departures ? "delay " : "spread", (unsigned long long)spread,
	       ops, enq, deq, requeued, maxdepth);
	total_ops += ops;
	fixture_fini();
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

	test_fifo_chunks();
	test_fifo(1, ops, 64);
	test_fifo(1, ops, 4096);
	test_fifo(4, ops, 29);
	test_fifo(FIFO_TEST_MAX_SUBQ, ops, 2048);
	test_pifo_priority();
	test_pifo_chunks();
	test_pifo_behind();
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		test_pifo(sizes[i], ops, rnd_below(1000), 2048, false);
	/* the top of the u64 range, ranks saturate at ~0ULL */
	test_pifo(64, ops, ~0ULL - 64 * (u64)ops / 4, 512, false);
	test_pifo(4096, ops, ~0ULL - 4096 * (u64)ops / 4, 512, false);
	/* strict priorities: never adjusted, never move the window */
	test_pifo(8, ops, 0, 512, true);
	test_pifo(64, ops, 0, 512, true);

	test_rbtree(ops, 2048, 100, false);	/* many duplicates */
	test_rbtree(ops, 2048, 1ULL << 20, false);
	test_rbtree(ops, 4096, ~0ULL, false);
	test_rbtree(ops, 2048, 16, true);
	test_rbtree(ops, 4096, 1000, true);

	printf("%s: %lu operations, %lu failures\n",
	       failures ? "FAIL" : "PASS", total_ops, failures);
	return failures ? 1 : 0;
}
