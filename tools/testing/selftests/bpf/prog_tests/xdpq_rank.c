// SPDX-License-Identifier: GPL-2.0
/* The rank ordered queue maps, BPF_MAP_TYPE_XDP_PIFO and
 * BPF_MAP_TYPE_XDP_RBTREE: a property test of each
 * against a reference model over 100,000 mixed operations with random
 * ranks (duplicates, and for the PIFO ranks below its window, beyond it and
 * sweeping past many window lengths); the PIFO window rules and strict
 * priorities; peek and conditional dequeue; overflow; producers on two
 * CPUs at once.
 */
#include <pthread.h>
#include <linux/if_ether.h>
#include <test_progs.h>
#include "xdpq_rank.skel.h"

#define MAX_BURST 1024
#define PIFO_BUCKETS 256
#define MODEL_OPS 100000

static struct {
	struct ethhdr eth;
	__u8 l3l4[48];
	__u32 id;
	__u8 pad[60];
} __packed frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, 0x01 },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
};

static int run_prog(struct bpf_program *prog, int repeat, bool live)
{
	struct xdp_md ctx = { .data_end = sizeof(frame), .ingress_ifindex = 1 };

	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &frame,
		    .data_size_in = sizeof(frame),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat,
		    .flags = live ? BPF_F_TEST_XDP_LIVE_FRAMES : 0);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

/* Reference model: frames sorted by rank, arrival order among equal ranks. */
struct model_entry {
	__u64 rank;
	__u32 id;
};

struct model {
	struct model_entry *e;
	unsigned int n;
	__u64 base;	/* PIFO: start of the window */
};

static void model_push(struct model *m, __u64 rank, __u32 id)
{
	unsigned int lo = 0, hi = m->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->e[mid].rank <= rank)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&m->e[lo + 1], &m->e[lo], (m->n - lo) * sizeof(*m->e));
	m->e[lo] = (struct model_entry){ .rank = rank, .id = id };
	m->n++;
}

static struct model_entry model_pop(struct model *m)
{
	struct model_entry head = m->e[0];

	memmove(&m->e[0], &m->e[1], --m->n * sizeof(*m->e));
	return head;
}

/* The PIFO window [base, base + PIFO_BUCKETS), as documented for
 * BPF_MAP_TYPE_XDP_PIFO, updated as the map does on each (non-strict)
 * push: base starts at 0 and only moves on enqueue. Into an empty map, a
 * rank outside the window moves base to it. Otherwise a rank beyond the
 * window slides base up to at most the head, the lowest queued rank, and
 * is clamped to the end if still beyond; a rank below base is queued at
 * base.
 */
static __u64 pifo_effective_rank(struct model *m, __u64 rank)
{
	__u64 slide;

	if (!m->n) {
		if (rank < m->base || rank - m->base >= PIFO_BUCKETS)
			m->base = rank;
		return rank;
	}
	if (rank < m->base)
		return m->base;
	if (rank - m->base >= PIFO_BUCKETS) {
		slide = rank - PIFO_BUCKETS + 1;
		m->base = slide < m->e[0].rank ? slide : m->e[0].rank;
		if (rank - m->base >= PIFO_BUCKETS)
			return m->base + PIFO_BUCKETS - 1;
	}
	return rank;
}

static __u64 rnd64(void)
{
	return ((__u64)random() << 33) ^ ((__u64)random() << 11) ^ random();
}

static __u64 next_rank(bool pifo, __u64 *clock)
{
	if (!pifo) {
		/* duplicates, a medium and the full range */
		switch (random() % 3) {
		case 0:
			return random() % 64;
		case 1:
			return random() % 100000;
		default:
			return rnd64();
		}
	}
	/* virtual time: grows, mostly inside the window, sometimes below
	 * it or beyond it
	 */
	*clock += random() % 8;
	switch (random() % 8) {
	case 0:
		return *clock > 100 ? *clock - random() % 100 : 0;
	case 1:
		return *clock + PIFO_BUCKETS + random() % 1000;
	default:
		return *clock + random() % PIFO_BUCKETS;
	}
}

static void model_test(bool pifo)
{
	struct bpf_program *enq, *deq;
	struct model m = {};
	struct xdpq_rank *skel;
	__u64 clock = 1000, ops = 0, enqueued = 0, dequeued = 0;
	__u32 next_id = 0, i, n;

	skel = xdpq_rank__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	m.e = calloc(16384, sizeof(*m.e));
	if (!ASSERT_OK_PTR(m.e, "model"))
		goto out;
	enq = pifo ? skel->progs.xdp_enqueue_pifo : skel->progs.xdp_enqueue_rbtree;
	deq = pifo ? skel->progs.xdp_dequeue_pifo : skel->progs.xdp_dequeue_rbtree;
	srandom(pifo ? 1 : 2);

	while (ops < MODEL_OPS) {
		/* Lean towards dequeues as the queue fills. */
		bool do_enqueue = random() % 16384 >= m.n * 2;

		n = 1 + random() % 64;
		if (do_enqueue) {
			skel->bss->id_base = next_id;
			skel->bss->burst_pos = 0;
			for (i = 0; i < n; i++) {
				__u64 rank = next_rank(pifo, &clock);

				skel->bss->ranks[i] = rank;
				model_push(&m, pifo ? pifo_effective_rank(&m, rank) : rank,
					   next_id + i);
			}
			if (!ASSERT_OK(run_prog(enq, n, true), "enqueue"))
				goto out;
			next_id += n;
			enqueued += n;
		} else {
			skel->bss->dequeue_budget = n;
			if (!ASSERT_OK(run_prog(deq, 1, false), "dequeue"))
				goto out;
			if (!ASSERT_EQ(skel->bss->out_n, n < m.n ? n : m.n, "dequeued"))
				goto out;
			for (i = 0; i < skel->bss->out_n; i++) {
				struct model_entry want = model_pop(&m);

				if (!ASSERT_EQ(skel->bss->out_id[i], want.id, "frame") ||
				    !ASSERT_EQ(skel->bss->out_rank[i], want.rank, "rank"))
					goto out;
			}
			dequeued += skel->bss->out_n;
		}
		ops += n;
	}
	ASSERT_EQ(skel->bss->read_errors, 0, "read_errors");
	ASSERT_GE(enqueued, MODEL_OPS / 3, "enqueued");
	ASSERT_GE(dequeued, MODEL_OPS / 3, "dequeued");
	if (pifo)
		ASSERT_GT(clock - 1000, 20 * PIFO_BUCKETS, "windows swept");
out:
	free(m.e);
	xdpq_rank__destroy(skel);
}

/* Queue frames first_id.. with ranks[0..n - 1], in that order. */
static int enqueue_ranks(struct xdpq_rank *skel, struct bpf_program *prog,
			 const __u64 *ranks, int n, __u64 flags, __u32 first_id)
{
	skel->bss->id_base = first_id;
	skel->bss->burst_pos = 0;
	skel->bss->enqueue_flags = flags;
	memcpy(skel->bss->ranks, ranks, n * sizeof(*ranks));
	return run_prog(prog, n, true);
}

/* Window rules, one by one, with the ranks dequeue reports. */
static void test_pifo_window(void)
{
	/* The window starts as [0, 255]: 1000 into the empty map is outside
	 * it and moves it to [1000, 1255]; 500 is below (due now, queued at
	 * 1000 after the first); 5000 is beyond and the window cannot slide
	 * past the head 1000 (clamped to 1255); 1001 twice keeps arrival
	 * order. Strict 9999 is beyond even once slid: refused.
	 */
	const __u64 ranks[] = { 1000, 500, 5000, 1001, 1001 };
	const __u32 want_id[] = { 0, 1, 3, 4, 2 };
	const __u64 want_rank[] = { 1000, 1000, 1001, 1001, 1000 + PIFO_BUCKETS - 1 };
	struct bpf_xdp_queue_stats st;
	__u32 key = BPF_XDP_QUEUE_TOTAL, i;
	struct xdpq_rank *skel;
	__u64 strict = 9999;

	skel = xdpq_rank__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (!ASSERT_OK(enqueue_ranks(skel, skel->progs.xdp_enqueue_pifo, ranks,
				     ARRAY_SIZE(ranks), 0, 0), "enqueue"))
		goto out;
	/* Beyond the window with BPF_F_RANK_STRICT: refused and counted. */
	if (!ASSERT_OK(enqueue_ranks(skel, skel->progs.xdp_enqueue_pifo, &strict, 1,
				     BPF_F_RANK_STRICT, 0), "enqueue strict"))
		goto out;
	if (!ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.pifo), &key, &st), "stats"))
		goto out;
	ASSERT_EQ(st.depth, ARRAY_SIZE(ranks), "depth");
	ASSERT_EQ(st.drop_range, 1, "drop_range");

	skel->bss->dequeue_budget = MAX_BURST;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_dequeue_pifo, 1, false), "dequeue") ||
	    !ASSERT_EQ(skel->bss->out_n, ARRAY_SIZE(ranks), "dequeued"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(ranks); i++) {
		ASSERT_EQ(skel->bss->out_id[i], want_id[i], "order");
		ASSERT_EQ(skel->bss->out_rank[i], want_rank[i], "reported rank");
	}
out:
	xdpq_rank__destroy(skel);
}

/* Peek and "dequeue only what is due", as an EDT pacer uses them. */
/* Strict priorities in an 8-bucket PIFO: ranks 0..7 never move the
 * window, so a class 0 frame and then a class 3 frame leave before the
 * class 5 frames queued earlier.
 */
static void test_pifo_priority(void)
{
	const __u64 fives[] = { 5, 5, 5 }, zero = 0, three = 3;
	const __u32 want_id[] = { 3, 4, 0, 1, 2 };
	const __u64 want_rank[] = { 0, 3, 5, 5, 5 };
	struct xdpq_rank *skel;
	__u32 i;

	skel = xdpq_rank__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	if (!ASSERT_OK(bpf_map__set_map_extra(skel->maps.pifo, 8), "map_extra") ||
	    !ASSERT_OK(xdpq_rank__load(skel), "load"))
		goto out;
	/* frames 0, 1, 2 at 5, then 3 at 0 and 4 at 3 */
	if (!ASSERT_OK(enqueue_ranks(skel, skel->progs.xdp_enqueue_pifo, fives,
				     ARRAY_SIZE(fives), 0, 0), "enqueue 5s") ||
	    !ASSERT_OK(enqueue_ranks(skel, skel->progs.xdp_enqueue_pifo, &zero, 1,
				     BPF_F_RANK_STRICT, 3), "enqueue 0") ||
	    !ASSERT_OK(enqueue_ranks(skel, skel->progs.xdp_enqueue_pifo, &three, 1,
				     BPF_F_RANK_STRICT, 4), "enqueue 3"))
		goto out;

	skel->bss->dequeue_budget = MAX_BURST;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_dequeue_pifo, 1, false), "dequeue") ||
	    !ASSERT_EQ(skel->bss->out_n, ARRAY_SIZE(want_rank), "dequeued"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(want_rank); i++) {
		ASSERT_EQ(skel->bss->out_rank[i], want_rank[i], "reported rank");
		ASSERT_EQ(skel->bss->out_id[i], want_id[i], "order");
	}
out:
	xdpq_rank__destroy(skel);
}

static void test_peek_and_due(void)
{
	const __u64 ranks[] = { 30, 10, 20 };
	struct xdpq_rank *skel;

	skel = xdpq_rank__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_peek_rbtree, 1, false), "peek empty"))
		goto out;
	ASSERT_EQ(skel->bss->peek_ret, -ENOENT, "peek empty");
	if (!ASSERT_OK(enqueue_ranks(skel, skel->progs.xdp_enqueue_rbtree, ranks,
				     ARRAY_SIZE(ranks), 0, 0), "enqueue"))
		goto out;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_peek_rbtree, 1, false), "peek"))
		goto out;
	ASSERT_EQ(skel->bss->peek_ret, 0, "peek");
	ASSERT_EQ(skel->bss->peek_rank, 10, "peek rank");

	skel->bss->dequeue_budget = MAX_BURST;
	skel->bss->dequeue_flags = BPF_XDP_DEQUEUE_RANK_LE;
	skel->bss->dequeue_bound = 15;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_dequeue_rbtree, 1, false), "due by 15"))
		goto out;
	ASSERT_EQ(skel->bss->out_n, 1, "due by 15");
	ASSERT_EQ(skel->bss->out_rank[0], 10, "due rank");
	if (!ASSERT_OK(run_prog(skel->progs.xdp_dequeue_rbtree, 1, false), "due by 15 again"))
		goto out;
	ASSERT_EQ(skel->bss->out_n, 0, "nothing more due");
	if (!ASSERT_OK(run_prog(skel->progs.xdp_peek_rbtree, 1, false), "peek"))
		goto out;
	ASSERT_EQ(skel->bss->peek_rank, 20, "next head");
	skel->bss->dequeue_bound = ~0ULL;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_dequeue_rbtree, 1, false), "all due"))
		goto out;
	ASSERT_EQ(skel->bss->out_n, 2, "the rest");
out:
	xdpq_rank__destroy(skel);
}

static void test_overflow(void)
{
	struct bpf_xdp_queue_stats st;
	__u32 key = BPF_XDP_QUEUE_TOTAL;
	struct xdpq_rank *skel;

	skel = xdpq_rank__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_map__set_max_entries(skel->maps.rbtree, 100);
	if (!ASSERT_OK(xdpq_rank__load(skel), "load"))
		goto out;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_enqueue_hashed_rbtree, 150, true), "enqueue") ||
	    !ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.rbtree), &key, &st), "stats"))
		goto out;
	ASSERT_EQ(st.depth, 100, "depth");
	ASSERT_EQ(st.drop_full, 50, "drop_full");
out:
	xdpq_rank__destroy(skel);
}

#define MP_FRAMES 4000

struct producer {
	struct bpf_program *prog;
	int cpu, err;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(p->cpu, &cpus);
	p->err = pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus) ?:
		 run_prog(p->prog, MP_FRAMES / 2, true);
	return NULL;
}

/* Two CPUs queue at once; then every frame comes out exactly once, in
 * rank order.
 */
static void multi_producer(bool pifo)
{
	struct producer prod[2];
	struct xdpq_rank *skel;
	pthread_t threads[2];
	bool *seen = NULL;
	__u64 last = 0;
	__u32 total = 0, i;
	int t;

	skel = xdpq_rank__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	seen = calloc(MP_FRAMES, sizeof(*seen));
	for (t = 0; t < 2; t++) {
		prod[t] = (struct producer){ .cpu = t, .prog = pifo ?
			skel->progs.xdp_enqueue_hashed_pifo : skel->progs.xdp_enqueue_hashed_rbtree };
		if (!ASSERT_OK(pthread_create(&threads[t], NULL, produce, &prod[t]), "thread"))
			goto out;
	}
	for (t = 0; t < 2; t++) {
		pthread_join(threads[t], NULL);
		ASSERT_OK(prod[t].err, "producer");
	}

	skel->bss->dequeue_budget = MAX_BURST;
	do {
		if (!ASSERT_OK(run_prog(pifo ? skel->progs.xdp_dequeue_pifo :
					skel->progs.xdp_dequeue_rbtree, 1, false), "dequeue"))
			goto out;
		for (i = 0; i < skel->bss->out_n; i++) {
			__u32 id = skel->bss->out_id[i];

			if (!ASSERT_LT(id, MP_FRAMES, "frame id") ||
			    !ASSERT_FALSE(seen[id], "duplicate") ||
			    !ASSERT_GE(skel->bss->out_rank[i], last, "rank order"))
				goto out;
			seen[id] = true;
			last = skel->bss->out_rank[i];
		}
		total += skel->bss->out_n;
	} while (skel->bss->out_n);
	ASSERT_EQ(total, MP_FRAMES, "every frame once");
out:
	free(seen);
	xdpq_rank__destroy(skel);
}

void test_xdpq_rank(void)
{
	if (test__start_subtest("pifo_model"))
		model_test(true);
	if (test__start_subtest("rbtree_model"))
		model_test(false);
	if (test__start_subtest("pifo_window"))
		test_pifo_window();
	if (test__start_subtest("pifo_priority"))
		test_pifo_priority();
	if (test__start_subtest("peek_and_due"))
		test_peek_and_due();
	if (test__start_subtest("overflow"))
		test_overflow();
	if (test__start_subtest("pifo_multi_producer"))
		multi_producer(true);
	if (test__start_subtest("rbtree_multi_producer"))
		multi_producer(false);
}
