// SPDX-License-Identifier: GPL-2.0-only
/* Native microbenchmark of the XDP queue map ordering cores.
 *
 * For each core (FIFO, PIFO, rbtree), each standing queue size (1k, 64k
 * and 1M queued frames) and each rank pattern, a queue is filled to the
 * size, then a steady state of enqueue+dequeue pairs is timed: a frame
 * goes in with a new rank, the head comes out and is the next frame to go
 * in, so the size stays put. A warm-up of a quarter of the queue's worth
 * of pairs (at least 16k) sizes the repetitions to about 50 ms each (16k
 * to 1M pairs, or --ops); the time per pair is reported over --reps
 * repetitions: min, median, max. Time is the thread's CPU time, so that
 * the run can share the machine: time spent descheduled is not counted,
 * cache and memory contention is. The three sizes of a core and pattern
 * take turns, a repetition each, each turn after a warm-up of its own
 * (the other queues' turns evicted its lines), so that a spell of
 * contention from whatever else runs on the host falls on all sizes
 * alike, not on the one measured at the time.
 *
 * Frames are laid out as the map sees them: a struct xdp_frame with the
 * struct xdpq_node right behind it (xdpq_frame_node()), each in a slot of
 * --frame-size bytes (128 by default: packed; real frames sit up to a
 * page apart, which only adds cache misses), on huge pages like the
 * kernel's direct map. A queue of n frames has n + 1 slots of its own,
 * all preallocated and handed out in a random order at fill time, as a
 * page pool recycles them, so that queue order is not memory order: at
 * 64k and 1M frames, touching a queued frame is a cache miss. The rbtree
 * core links the frames' nodes, so its inserts and removes touch queued
 * frames; the FIFO and PIFO cores keep frame pointers in chunks of their
 * own and touch no frame, which is their design (queue_map_chunk.h). So
 * the bench touches no frame beyond what the core does: the PIFO's rank
 * comes back from its pop, and what the map writes into the node at
 * enqueue (rank, sub-queue) is left out, as the frame being queued is hot
 * in the kernel (the redirect has just written it) but cold here. The
 * "vs fifo" column divides by the FIFO at the same size: what ordering
 * costs over arrival order, and for the rbtree at 64k and 1M, the memory
 * traffic of linked frames.
 *
 * Rank patterns, the same for the PIFO and the rbtree:
 * - random: the classic hold model. Each new rank is the rank just
 *   dequeued plus a uniform random increment of up to half the PIFO
 *   window (32768), so it lands at a random place among the queued ranks
 *   and the whole queue turns over.
 * - monotonic: ranks that only grow, like virtual time or departure
 *   timestamps. A clock advances on each enqueue, by half the window per
 *   queue's worth of enqueues, and the rank is the clock plus a random
 *   delay of up to a quarter window (16384): new frames go in near the
 *   tail, and the PIFO window slides along, sweeping past its 65536
 *   buckets many times in a run.
 * Either way the queued ranks span at most 5/8 of the window, at every
 * size, so no PIFO rank needs clamping and its order is exact (checked:
 * the count of ranks the window adjusted is printed). The window is 65536
 * buckets (map_extra 65536): a scheduler's horizon at fine granularity,
 * e.g. 65 ms in microsecond buckets, and three bitmap levels, so that
 * finding the next non-empty bucket does its full walk; at 1k frames most
 * buckets are empty and the walk skips many, at 1M each holds about 16.
 * The FIFO ignores ranks: one pattern, arrival order.
 *
 * The time includes drawing the rank (splitmix64, a few ns) and the
 * bookkeeping the map does around each call (the node's rank); no
 * locking. The target is checked at the end: PIFO
 * enqueue+dequeue flat, within 2x, from 1k to 1M queued frames: the
 * slowest of the three sizes over the fastest, each by its fastest
 * repetition (contention only adds time).
 *
 * Usage: xdpq_bench [--csv PATH] [--check] [--ops N] [--reps N]
 *                   [--frame-size BYTES]
 *   --csv    also write core,pattern,queued,rep,ns_per_op rows to PATH
 *   --check  exit 1 if the target is missed (else only print FAIL)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../../../kernel/bpf/queue_map_fifo.h"
#include "../../../kernel/bpf/queue_map_pifo.h"
#include "../../../kernel/bpf/queue_map_rbtree.h"

#define BENCH_WINDOW		65536	/* PIFO buckets */
#define BENCH_HOLD		(BENCH_WINDOW / 2)	/* random increments */
#define BENCH_DELAY		(BENCH_WINDOW / 4)	/* monotonic delays */
#define BENCH_REP_NS		50e6	/* length of a repetition */
#define BENCH_MIN_OPS		(1UL << 14)
#define BENCH_MAX_OPS		(1UL << 20)
#define BENCH_MAX_REPS		25
#define BENCH_HUGE_PAGE		(2UL << 20)
#define BENCH_TARGET		2.0	/* PIFO slowest / fastest size */

enum bench_core { BENCH_FIFO, BENCH_PIFO, BENCH_RBTREE, BENCH_NR_CORES };
enum bench_pattern { BENCH_RANDOM, BENCH_MONOTONIC, BENCH_NR_PATTERNS };

static const char * const bench_core_name[] = { "fifo", "pifo", "rbtree" };
static const char * const bench_pattern_name[] = { "random", "monotonic" };
static const u32 bench_sizes[] = { 1U << 10, 1U << 16, 1U << 20 };
static const char * const bench_size_name[] = { "1k", "64k", "1M" };

#define BENCH_NR_SIZES	ARRAY_SIZE(bench_sizes)

struct bench {
	enum bench_core core;
	enum bench_pattern pattern;
	struct xdpq_fifo fifo;
	struct xdpq_chunk_list fifo_subq;
	struct xdpq_chunk *fifo_chunks;	/* FIFO storage */
	struct xdpq_pifo pifo;
	struct xdpq_rbtree rbtree;
	struct xdpq_chunk_list *buckets;	/* PIFO storage */
	u64 *bitmap;
	struct xdpq_chunk *chunks;
	struct xdpq_node *spare;	/* the frame to enqueue next */
	u32 n;				/* frames queued */
	u64 held;			/* random: last rank dequeued */
	u64 rng;
	u64 clock;			/* monotonic ranks, 48.16 fixed point */
	u64 step;
	u64 adjusted;			/* PIFO ranks the window changed */
};

struct bench_opts {
	unsigned long ops;		/* per repetition, 0: about 50 ms */
	unsigned int reps;
	size_t frame_size;
	const char *csv;
	bool check;
};

/* ns per pair of each repetition, and its summary. */
struct bench_result {
	double ns[BENCH_MAX_REPS];
	double min, median, max;
};

static struct bench_result results[BENCH_NR_CORES][BENCH_NR_PATTERNS]
				  [BENCH_NR_SIZES];
static bool measured[BENCH_NR_CORES][BENCH_NR_PATTERNS][BENCH_NR_SIZES];

static u64 bench_random(u64 *state)
{
	/* splitmix64 */
	u64 z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline u64 bench_rank(struct bench *b)
{
	if (b->pattern == BENCH_RANDOM)
		return b->held + (bench_random(&b->rng) & (BENCH_HOLD - 1));
	b->clock += b->step;
	return (b->clock >> 16) + (bench_random(&b->rng) & (BENCH_DELAY - 1));
}

/* The FIFO ignores ranks: its one pattern is arrival order. */
static const char *bench_pattern_label(enum bench_core core,
				       enum bench_pattern pattern)
{
	return core == BENCH_FIFO ? "arrival" : bench_pattern_name[pattern];
}

static inline void bench_enqueue(struct bench *b, struct xdpq_node *node)
{
	u64 rank;

	switch (b->core) {
	case BENCH_FIFO: {
		struct xdp_frame *frame = xdpq_node_frame(node);

		xdpq_fifo_push_bulk(&b->fifo, &frame, 1);
		break;
	}
	case BENCH_PIFO: {
		u64 eff = 0;

		rank = bench_rank(b);
		xdpq_pifo_push(&b->pifo, xdpq_node_frame(node), rank, false,
			       &eff);
		b->adjusted += eff != rank;
		break;
	}
	default:
		node->rank = bench_rank(b);
		xdpq_rbtree_push(&b->rbtree, node);
	}
}

/* The head, its rank in *rank. */
static inline struct xdpq_node *bench_dequeue(struct bench *b, u64 *rank)
{
	struct xdpq_node *node;

	switch (b->core) {
	case BENCH_FIFO:
		*rank = 0;
		return xdpq_frame_node(xdpq_fifo_pop(&b->fifo, 0));
	case BENCH_PIFO:
		return xdpq_frame_node(xdpq_pifo_pop(&b->pifo, rank));
	default:
		node = xdpq_rbtree_pop(&b->rbtree);
	}
	*rank = node->rank;
	return node;
}

/* ops enqueue+dequeue pairs; returns CPU ns per pair. */
static double bench_pairs(struct bench *b, unsigned long ops)
{
	struct timespec t0, t1;
	unsigned long i;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (i = 0; i < ops; i++) {
		bench_enqueue(b, b->spare);
		b->spare = bench_dequeue(b, &b->held);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	       ops;
}

/* The frames: slots of frame_size bytes, and the order in which the
 * first ones are handed out.
 */
struct bench_frames {
	char *mem;
	u32 *order;
	size_t frame_size;
};

/* A random order of the first n slots (Fisher-Yates). */
static void bench_shuffle(struct bench_frames *f, u32 n, u64 *rng)
{
	u32 i, j, t;

	for (i = 0; i < n; i++)
		f->order[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = bench_random(rng) % (i + 1);
		t = f->order[i];
		f->order[i] = f->order[j];
		f->order[j] = t;
	}
}

static struct xdpq_node *bench_node(const struct bench_frames *f, u32 i)
{
	return xdpq_frame_node((struct xdp_frame *)(f->mem +
						   i * f->frame_size));
}

/* An empty queue of each core, the FIFO and PIFO with the chunks a map of
 * n frames gets.
 */
static void bench_fill(struct bench *b, struct bench_frames *f, u32 n)
{
	u32 i;

	bench_shuffle(f, n + 1, &b->rng);
	memset(&b->fifo_subq, 0, sizeof(b->fifo_subq));
	xdpq_fifo_init(&b->fifo, &b->fifo_subq, 1);
	xdpq_chunk_add(&b->fifo.chunks, b->fifo_chunks, xdpq_chunks_for(n, 1));
	memset(b->buckets, 0, BENCH_WINDOW * sizeof(*b->buckets));
	memset(b->bitmap, 0,
	       xdpq_pifo_layout(NULL, BENCH_WINDOW) * sizeof(*b->bitmap));
	xdpq_pifo_init(&b->pifo, b->buckets, b->bitmap, BENCH_WINDOW);
	xdpq_chunk_add(&b->pifo.chunks, b->chunks,
		       xdpq_chunks_for(n, BENCH_WINDOW));
	xdpq_rbtree_init(&b->rbtree);
	b->held = 0;
	b->clock = 0;
	b->n = n;
	b->step = ((u64)BENCH_WINDOW / 2 << 16) / n;
	for (i = 0; i < n; i++)
		bench_enqueue(b, bench_node(f, f->order[i]));
	b->spare = bench_node(f, f->order[n]);
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void bench_summarise(struct bench_result *r, unsigned int reps)
{
	double sorted[BENCH_MAX_REPS];

	memcpy(sorted, r->ns, reps * sizeof(*sorted));
	qsort(sorted, reps, sizeof(*sorted), bench_cmp);
	r->min = sorted[0];
	r->max = sorted[reps - 1];
	r->median = reps % 2 ? sorted[reps / 2] :
			       (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
}

/* Pairs enough to bring b's queue back into the caches, and to time it */
static double bench_warm(struct bench *b, unsigned long most)
{
	unsigned long ops = b->n / 4 > BENCH_MIN_OPS ? b->n / 4 : BENCH_MIN_OPS;

	return bench_pairs(b, min(ops, most));
}

static void bench_print(const struct bench *b, unsigned int size,
			unsigned long ops)
{
	const struct bench_result *r = &results[b->core][b->pattern][size];

	printf("%-7s %-10s %6s %8lu %9.1f %9.1f %9.1f %8.2f %8.2f\n",
	       bench_core_name[b->core], bench_pattern_label(b->core, b->pattern),
	       bench_size_name[size], ops, r->min, r->median, r->max,
	       r->min / results[b->core][b->pattern][0].min,
	       r->min / results[BENCH_FIFO][BENCH_RANDOM][size].min);
}

/* One core and rank pattern: a queue of each size, b[size], taking turns
 * at the repetitions.
 */
static void bench_turns(struct bench *b, struct bench_frames *f,
			const struct bench_opts *o)
{
	unsigned long ops[BENCH_NR_SIZES];
	unsigned int size, rep, turn;
	double warm;

	for (size = 0; size < BENCH_NR_SIZES; size++) {
		bench_fill(&b[size], &f[size], bench_sizes[size]);
		warm = bench_warm(&b[size], ULONG_MAX);
		ops[size] = o->ops;
		if (!ops[size])
			ops[size] = clamp((unsigned long)(BENCH_REP_NS / warm),
					  BENCH_MIN_OPS, BENCH_MAX_OPS);
	}
	/* Each round starts at the next size, so that none always follows
	 * the same one
	 */
	for (rep = 0; rep < o->reps; rep++) {
		for (turn = 0; turn < BENCH_NR_SIZES; turn++) {
			size = (rep + turn) % BENCH_NR_SIZES;
			bench_warm(&b[size], ops[size]);
			results[b->core][b->pattern][size].ns[rep] =
				bench_pairs(&b[size], ops[size]);
		}
	}
	for (size = 0; size < BENCH_NR_SIZES; size++) {
		bench_summarise(&results[b->core][b->pattern][size], o->reps);
		measured[b->core][b->pattern][size] = true;
		bench_print(b, size, ops[size]);
	}
	fflush(stdout);
}

/* Faulted in memory: on huge pages, like the kernel's direct map where
 * frames live, or on small ones, like the vmalloc() area where
 * bpf_map_area_alloc() puts large map storage.
 */
static void *bench_mem_alloc(size_t size, bool huge)
{
	size_t bytes = round_up(size, BENCH_HUGE_PAGE);
	void *mem = aligned_alloc(BENCH_HUGE_PAGE, bytes);

	if (!mem) {
		fprintf(stderr, "xdpq_bench: out of memory\n");
		exit(2);
	}
	/* best effort */
	madvise(mem, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(mem, 0, bytes);
	return mem;
}

/* Storage for a queue of n frames */
static void bench_alloc(struct bench *b, struct bench_frames *f, u32 n,
			size_t frame_size)
{
	f->frame_size = frame_size;
	f->mem = bench_mem_alloc((size_t)(n + 1) * frame_size, true);
	f->order = bench_mem_alloc((n + 1) * sizeof(*f->order), false);
	b->buckets = bench_mem_alloc(BENCH_WINDOW * sizeof(*b->buckets), false);
	b->bitmap = bench_mem_alloc(xdpq_pifo_layout(NULL, BENCH_WINDOW) *
				    sizeof(*b->bitmap), false);
	b->chunks = bench_mem_alloc(xdpq_chunks_for(n, BENCH_WINDOW) *
				    sizeof(*b->chunks), false);
	b->fifo_chunks = bench_mem_alloc(xdpq_chunks_for(n, 1) *
					 sizeof(*b->fifo_chunks), false);
}

static void bench_free(struct bench *b, struct bench_frames *f)
{
	free(f->mem);
	free(f->order);
	free(b->buckets);
	free(b->bitmap);
	free(b->chunks);
	free(b->fifo_chunks);
}

static void bench_write_csv(const struct bench_opts *o)
{
	unsigned int c, p, s, rep;
	FILE *csv = fopen(o->csv, "w");

	if (!csv) {
		perror(o->csv);
		exit(2);
	}
	fprintf(csv, "core,pattern,queued,rep,ns_per_op\n");
	for (c = 0; c < BENCH_NR_CORES; c++)
		for (p = 0; p < BENCH_NR_PATTERNS; p++)
			for (s = 0; s < BENCH_NR_SIZES; s++)
				for (rep = 0; measured[c][p][s] && rep < o->reps;
				     rep++)
					fprintf(csv, "%s,%s,%u,%u,%.2f\n",
						bench_core_name[c],
						bench_pattern_label(c, p),
						bench_sizes[s], rep,
						results[c][p][s].ns[rep]);
	if (fclose(csv)) {
		perror(o->csv);
		exit(2);
	}
}

/* Slowest over fastest of the sizes' fastest repetitions; the sizes and
 * their times, in buf.
 */
static double bench_flatness(const struct bench_result *r, char *buf,
			     size_t len)
{
	double lo = r[0].min, hi = r[0].min;
	unsigned int size;
	int n = 0;

	for (size = 0; size < BENCH_NR_SIZES; size++) {
		lo = min(lo, r[size].min);
		hi = max(hi, r[size].min);
		n += snprintf(buf + n, len - n, "%s%s %.1f",
			      size ? ", " : "", bench_size_name[size],
			      r[size].min);
	}
	return hi / lo;
}

/* The target; returns the number of misses. */
static unsigned int bench_check_target(void)
{
	unsigned int p, misses = 0;
	char sizes[128];
	double flat;
	bool pass;

	for (p = 0; p < BENCH_NR_PATTERNS; p++) {
		flat = bench_flatness(results[BENCH_PIFO][p], sizes,
				      sizeof(sizes));
		pass = flat <= BENCH_TARGET;
		printf("%s: native PIFO %s enqueue+dequeue flat from 1k to 1M queued: %s ns, slowest/fastest %.2fx (target <= %.0fx)\n",
		       pass ? "PASS" : "FAIL", bench_pattern_name[p], sizes,
		       flat, BENCH_TARGET);
		misses += !pass;
	}
	flat = bench_flatness(results[BENCH_FIFO][BENCH_RANDOM], sizes,
			      sizeof(sizes));
	printf("for scale: the FIFO, no ordering work: %s ns, slowest/fastest %.2fx\n",
	       sizes, flat);
	return misses;
}

static void bench_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--csv PATH] [--check] [--ops N] [--reps N] [--frame-size BYTES]\n",
		prog);
	exit(2);
}

static void bench_parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "ops", required_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ "frame-size", required_argument, NULL, 'f' },
		{ }
	};
	int opt;

	*o = (struct bench_opts){ .reps = 5, .frame_size = 128 };
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->csv = optarg;
			break;
		case 'k':
			o->check = true;
			break;
		case 'o':
			o->ops = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->reps = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			o->frame_size = strtoul(optarg, NULL, 0);
			break;
		default:
			bench_usage(argv[0]);
		}
	}
	if (optind != argc || !o->reps || o->reps > BENCH_MAX_REPS ||
	    o->frame_size < sizeof(struct xdp_frame) + sizeof(struct xdpq_node) ||
	    o->frame_size % 8)
		bench_usage(argv[0]);
}

int main(int argc, char **argv)
{
	struct bench b[BENCH_NR_SIZES];
	struct bench_frames f[BENCH_NR_SIZES];
	enum bench_pattern pattern;
	enum bench_core core;
	struct bench_opts o;
	unsigned int size, misses;
	u64 adjusted = 0;

	bench_parse(argc, argv, &o);
	for (size = 0; size < BENCH_NR_SIZES; size++) {
		b[size] = (struct bench){ .rng = 0x5eed + size };
		bench_alloc(&b[size], &f[size], bench_sizes[size],
			    o.frame_size);
	}

	printf("xdpq native bench: CPU ns per enqueue+dequeue pair, %u reps, PIFO window %u buckets, %zu byte frames\n",
	       o.reps, BENCH_WINDOW, o.frame_size);
	printf("%-7s %-10s %6s %8s %9s %9s %9s %8s %8s\n", "core", "pattern",
	       "queued", "pairs", "min", "median", "max", "vs 1k", "vs fifo");
	for (core = 0; core < BENCH_NR_CORES; core++) {
		for (pattern = 0; pattern < BENCH_NR_PATTERNS; pattern++) {
			if (core == BENCH_FIFO && pattern != BENCH_RANDOM)
				continue;	/* ranks are ignored */
			for (size = 0; size < BENCH_NR_SIZES; size++) {
				b[size].core = core;
				b[size].pattern = pattern;
			}
			bench_turns(b, f, &o);
		}
	}
	for (size = 0; size < BENCH_NR_SIZES; size++)
		adjusted += b[size].adjusted;
	printf("pifo: %llu ranks adjusted by the window (0: exact order)\n",
	       (unsigned long long)adjusted);
	if (o.csv)
		bench_write_csv(&o);

	misses = bench_check_target();
	for (size = 0; size < BENCH_NR_SIZES; size++)
		bench_free(&b[size], &f[size]);
	return o.check && misses ? 1 : 0;
}
