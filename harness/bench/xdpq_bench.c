// SPDX-License-Identifier: GPL-2.0
/* xdpq_bench: what queueing costs on XDP's forwarding path, measured in
 * the `make bench` guest.
 *
 * One traffic source for every case: BPF_PROG_RUN with live frames
 * (BPF_F_TEST_XDP_LIVE_FRAMES), 64-byte frames in batches of 64, from one
 * CPU. A section is a link, a device that transmits and one that receives
 * (a veth pair, or virtio-net eth0 to eth1 over the QEMU hub); an XDP
 * program on the receiving device counts what arrives. In each section,
 * the cases are:
 *
 *   devmap          the frames are redirected into a devmap: the baseline.
 *   MAP_shallow     they are queued in a FIFO, PIFO or rbtree map and sent
 *                   from a bpf_timer, which takes out all that arrived
 *                   (xdpq_bench.bpf.c has the keys and the timer).
 *   MAP_64k         the same behind a standing queue: the map is filled
 *                   with 65536 frames before the run, and the timer takes
 *                   out only what arrives beyond them.
 *
 * The first section also runs the scaling cases: standing queues of 1k to
 * 1M frames (skipped when the guest lacks the memory: every queued live
 * frame holds a page), random u64 ranks in the rbtree, FIFO maps of 64
 * and 4096 sub-queues served round robin, and PIFO ranks of 16 and 4096
 * fairly queued flows instead of PIFO_FLOWS.
 *
 * A case runs once per round: load, then one offer of the standing
 * frames, a warm-up of a quarter of the measured frames and the measured
 * frames (case_run() says why in one call). Rounds take the cases in turn,
 * so that a change in the host's load hits all cases alike. Per run it
 * reports the rate at which frames arrived after the warm-up, until the
 * offer ended (the receiving end notes the time of every 1024th frame), in
 * Mpps and ns per frame; the rate offered beyond the standing frames; the
 * share of the frames lost, neither received nor left queued; and for the
 * queues the depth after the run, the timer runs per second of the offer,
 * the frames taken per run, the sends the target refused at its XDP TX
 * limit, and the runs on another CPU than the offer's. They are printed and appended to a CSV as
 * section,case,rep,metric,value rows.
 *
 * usage: xdpq_bench [-o CSV] [-n FRAMES] [-r ROUNDS] [-c CPU] [-m GLOB]
 *                   [-k FILE] [-p FILE] SECTION:TX_DEV:RX_DEV...
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpq_bench.h"
#include "xdpq_bench.skel.h"
#include "xdpq_bench_rx.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BATCH 64
#define PIFO_FLOWS 256		/* flows the PIFO's fair queueing ranks */
#define TIMER_BUDGET 1024	/* frames per timer run, at most */
/* Frames the map holds beyond the standing ones: those that arrive
 * between two timer runs, or wait for a device slower than the offer.
 */
#define QUEUE_ROOM 4096
#define QUEUED_PAGE 4096	/* each queued live frame holds a page */
#define MEM_WAIT_SECS 30	/* for a freed queue's pages to come back */
#define SETTLE_USECS 10000	/* quiet time after an offer, settle() */
#define SETTLE_TRIES 100
#define PROFILE_MARK_ADDR 0x7e000000UL	/* see profile/xdpq_icount_plugin.c */
#define PROFILE_POLL_USECS 20000	/* how often the marks look at the count */

struct bench_case {
	const char *name;
	enum bench_path path;
	__u32 depth;		/* standing queue; 0: shallow */
	__u32 flows;		/* FIFO sub-queues, PIFO flows */
	bool random_ranks;	/* rbtree: random u64 instead of departure times */
	bool scaling;		/* first section only */
};

#define CASE(n, p, d, f, ...) { .name = n, .path = p, .depth = d, .flows = f, __VA_ARGS__ }

static const struct bench_case cases[] = {
	CASE("devmap", BENCH_DEVMAP, 0, 0),
	CASE("fifo_shallow", BENCH_FIFO, 0, 1),
	CASE("fifo_64k", BENCH_FIFO, 1 << 16, 1),
	CASE("pifo_shallow", BENCH_PIFO, 0, PIFO_FLOWS),
	CASE("pifo_64k", BENCH_PIFO, 1 << 16, PIFO_FLOWS),
	CASE("rbtree_shallow", BENCH_RBTREE, 0, 1),
	CASE("rbtree_64k", BENCH_RBTREE, 1 << 16, 1),
	CASE("fifo_1k", BENCH_FIFO, 1 << 10, 1, .scaling = true),
	CASE("pifo_1k", BENCH_PIFO, 1 << 10, PIFO_FLOWS, .scaling = true),
	CASE("rbtree_1k", BENCH_RBTREE, 1 << 10, 1, .scaling = true),
	CASE("fifo_256k", BENCH_FIFO, 1 << 18, 1, .scaling = true),
	CASE("pifo_256k", BENCH_PIFO, 1 << 18, PIFO_FLOWS, .scaling = true),
	CASE("rbtree_256k", BENCH_RBTREE, 1 << 18, 1, .scaling = true),
	CASE("fifo_1m", BENCH_FIFO, 1 << 20, 1, .scaling = true),
	CASE("pifo_1m", BENCH_PIFO, 1 << 20, PIFO_FLOWS, .scaling = true),
	CASE("rbtree_1m", BENCH_RBTREE, 1 << 20, 1, .scaling = true),
	CASE("rbtree_rand_64k", BENCH_RBTREE, 1 << 16, 1, .random_ranks = true,
	     .scaling = true),
	CASE("fifo_64k_64q", BENCH_FIFO, 1 << 16, 64, .scaling = true),
	CASE("fifo_64k_4096q", BENCH_FIFO, 1 << 16, 4096, .scaling = true),
	CASE("pifo_64k_16f", BENCH_PIFO, 1 << 16, 16, .scaling = true),
	CASE("pifo_64k_4096f", BENCH_PIFO, 1 << 16, 4096, .scaling = true),
};

struct bench_frame {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	struct udphdr udp;
	__u8 payload[BENCH_FRAME_LEN - sizeof(struct ethhdr) -
		     sizeof(struct ipv6hdr) - sizeof(struct udphdr)];
} __attribute__((packed));

struct section {
	char name[32];
	char tx_dev[IF_NAMESIZE];
	int tx, rx;			/* ifindexes */
	struct bench_frame frame;	/* addressed to rx */
	struct xdpq_bench_rx *ends;	/* counter on rx, pass on tx */
};

/* What one run of a case measured. */
struct bench_result {
	__u64 received;		/* between the two stamps received_rate() took */
	double secs;		/* between them */
	__u64 offered;		/* frames beyond the standing ones */
	double offer_secs;	/* from the first of those to the end of the offer */
	__u64 received_all, depth, taken, runs, runs_away, tx_blocked;
	double lost;		/* neither received nor left queued */
};

static struct {
	FILE *csv;
	__u32 frames;
	int rounds;
	const char *match;
	const char *bpf_syms;
	FILE *profile;
	int cpu;
	cpu_set_t cpus;		/* the process's before it pinned itself to cpu */
} opt = { .frames = 200000, .rounds = 5, .match = "*" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "xdpq_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void init_frame(struct bench_frame *f, const char *rx_dev)
{
	static const unsigned char src[ETH_ALEN] = BENCH_SRC_MAC;
	unsigned int mac[ETH_ALEN];
	char path[64];
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", rx_dev);
	fp = fopen(path, "r");
	if (!fp || fscanf(fp, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
			  &mac[4], &mac[5]) != ETH_ALEN)
		die(path, errno ?: EINVAL);
	fclose(fp);
	memset(f, 0, sizeof(*f));
	for (i = 0; i < ETH_ALEN; i++)
		f->eth.h_dest[i] = mac[i];
	memcpy(f->eth.h_source, src, ETH_ALEN);
	f->eth.h_proto = htons(ETH_P_IPV6);
	f->ip6.version = 6;
	f->ip6.payload_len = htons(sizeof(f->udp) + sizeof(f->payload));
	f->ip6.nexthdr = IPPROTO_UDP;
	f->ip6.hop_limit = 64;
	f->ip6.saddr.s6_addr[0] = 0xfd;		/* fd00::1 to fd00::2 */
	f->ip6.saddr.s6_addr[15] = 1;
	f->ip6.daddr.s6_addr[0] = 0xfd;
	f->ip6.daddr.s6_addr[15] = 2;
	f->udp.source = htons(9);
	f->udp.dest = htons(9);
	f->udp.len = f->ip6.payload_len;
}

/* "NAME:TX:RX": attach the counter and the pass program for its cases. */
static void section_open(struct section *s, const char *arg)
{
	char rx[IF_NAMESIZE];
	struct bpf_link *link;

	if (sscanf(arg, "%31[^:]:%15[^:]:%15s", s->name, s->tx_dev, rx) != 3)
		die(arg, EINVAL);
	s->tx = if_nametoindex(s->tx_dev);
	s->rx = if_nametoindex(rx);
	if (!s->tx || !s->rx)
		die(arg, ENODEV);
	init_frame(&s->frame, rx);
	s->ends = xdpq_bench_rx__open_and_load();
	if (!s->ends)
		die("loading xdpq_bench_rx", errno);
	link = bpf_program__attach_xdp(s->ends->progs.bench_count, s->rx);
	if (!link)
		die(rx, errno);
	s->ends->links.bench_count = link;
	link = bpf_program__attach_xdp(s->ends->progs.bench_pass, s->tx);
	if (!link)
		die(s->tx_dev, errno);
	s->ends->links.bench_pass = link;
}

/* Sends the TX device refused at its XDP TX limit so far; 0 without one. */
static __u64 tx_blocked(const struct section *s)
{
	unsigned long long n = 0;
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/xdp_tx_limit/blocked", s->tx_dev);
	f = fopen(path, "r");
	if (f && fscanf(f, "%llu", &n) != 1)
		n = 0;
	if (f)
		fclose(f);
	return n;
}

/* Offer n live frames to prog, received on the section's TX device. */
static int offer(const struct section *s, struct bpf_program *prog, __u32 n)
{
	struct xdp_md ctx = {
		.data_end = sizeof(s->frame),
		.ingress_ifindex = s->tx,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &s->frame,
		    .data_size_in = sizeof(s->frame),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .repeat = n,
		    .batch_size = BATCH);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static struct bpf_map *queue_map(struct xdpq_bench *skel, enum bench_path path)
{
	switch (path) {
	case BENCH_FIFO:
		return skel->maps.fifo;
	case BENCH_PIFO:
		return skel->maps.pifo;
	case BENCH_RBTREE:
		return skel->maps.rbtree;
	default:
		return NULL;
	}
}

static __u64 queue_depth(struct xdpq_bench *skel, enum bench_path path)
{
	struct bpf_xdp_queue_stats st = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;
	struct bpf_map *map = queue_map(skel, path);

	if (map && bpf_map_lookup_elem(bpf_map__fd(map), &key, &st))
		die("reading the queue statistics", errno);
	return st.depth;
}

/* Load the case's object: its queue map sized, the others minimal. */
static struct xdpq_bench *case_load(const struct section *s, const struct bench_case *c)
{
	struct xdpq_bench *skel;
	struct bpf_map *map;
	__u32 key = 0;
	int err;

	if (c->path == BENCH_PIFO &&
	    (c->flows > BENCH_MAX_FLOWS || (c->flows & (c->flows - 1))))
		die("PIFO flows: a power of two up to BENCH_MAX_FLOWS", EINVAL);
	skel = xdpq_bench__open();
	if (!skel)
		die("opening xdpq_bench", errno);
	skel->rodata->bench_path = c->path;
	skel->rodata->nr_flows = c->flows ?: 1;
	skel->rodata->random_ranks = c->random_ranks;
	skel->rodata->target_ifindex = s->tx;
	skel->rodata->standing = c->depth;
	skel->rodata->budget = TIMER_BUDGET;
	skel->rodata->offer_cpu = opt.cpu;
	if (c->path != BENCH_PIFO)
		bpf_map__set_map_extra(skel->maps.pifo, 1);
	if (c->path == BENCH_FIFO)
		bpf_map__set_map_extra(skel->maps.fifo, c->flows);
	map = queue_map(skel, c->path);
	if (map)
		bpf_map__set_max_entries(map, c->depth + QUEUE_ROOM);
	err = xdpq_bench__load(skel);
	if (err)
		die("loading xdpq_bench", err);
	if (c->path == BENCH_DEVMAP) {
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.tx_port), &key, &s->tx, 0);
	} else {
		LIBBPF_OPTS(bpf_test_run_opts, once,
			    .data_in = &s->frame,
			    .data_size_in = sizeof(s->frame));

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.bench_init), &once);
		if (!err && once.retval != XDP_PASS)
			err = -EINVAL;
	}
	if (err)
		die("setting up the case", err);
	return skel;
}

/* The rate at which frames arrived, from the receiving end's stamps:
 * between the first stamp at or past `from` received frames and the last
 * one at or before `to`, the count when the offer ended, at `until`; the
 * frames a timer sends after the offer, with the CPU to itself, do not
 * count. Over half the ring at most, so that frames arriving after `to`
 * cannot overwrite the stamps read; stamps older than `since` are from an
 * earlier run. false: fewer than two stamps in the window.
 */
static bool received_rate(const struct section *s, __u64 from, __u64 to, double since,
			  double until, struct bench_result *r)
{
	const __u64 *stamps = s->ends->bss->stamps;
	__u64 first = (from + BENCH_STAMP_EVERY - 1) / BENCH_STAMP_EVERY;
	__u64 last = to / BENCH_STAMP_EVERY;
	double t0, t1;

	if (last <= first)
		return false;
	if (last - first > BENCH_STAMPS / 2)
		first = last - BENCH_STAMPS / 2;
	while (last > first && stamps[last % BENCH_STAMPS] / 1e9 > until)
		last--;
	t0 = stamps[first % BENCH_STAMPS] / 1e9;
	t1 = stamps[last % BENCH_STAMPS] / 1e9;
	if (last == first || t0 < since || t1 <= t0)
		return false;
	r->received = (last - first) * BENCH_STAMP_EVERY;
	r->secs = t1 - t0;
	return true;
}

/* After the offer the timer still sends what is queued beyond the
 * standing frames, and a device may still hold some: wait until the
 * frames received and queued stop changing, so that none in flight is
 * counted as lost.
 */
static void settle(const struct section *s, const struct bench_case *c,
		   struct xdpq_bench *skel)
{
	const __u64 *received = &s->ends->bss->received;
	__u64 rx, depth;
	int i;

	for (i = 0; i < SETTLE_TRIES; i++) {
		rx = __atomic_load_n(received, __ATOMIC_RELAXED);
		depth = queue_depth(skel, c->path);
		usleep(SETTLE_USECS);
		if (rx == __atomic_load_n(received, __ATOMIC_RELAXED) &&
		    depth == queue_depth(skel, c->path))
			return;
	}
}

/* make bench-profile (harness/bench/profile): the plugin dumps its counts
 * whenever code at PROFILE_MARK_ADDR runs. During an offer a thread on
 * another CPU runs it when a quarter of the measured frames have arrived
 * and again at three quarters, so that the counts between the two dumps
 * are those of the steady state alone, without the setup, the fill of a
 * standing queue or the freeing of an earlier case's, and notes the
 * frames that arrived and the time in between. Every case selected must
 * then mark twice inside its offer, lose no frame, and write its line,
 * or the dumps and the lines go out of step: anything else ends the run.
 */
struct profile_window {
	const __u64 *received;
	__u64 from, to;		/* received counts to mark at */
	int marks;		/* made so far */
	__u64 frames;		/* received between the marks */
	double start, end;	/* when the marks ran */
	bool done;		/* the offer ended */
	pthread_t thread;
};

static void (*profile_mark)(void);

static void profile_mark_init(void)
{
	long size = sysconf(_SC_PAGESIZE);
	void *page = mmap((void *)PROFILE_MARK_ADDR, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (page != (void *)PROFILE_MARK_ADDR)
		die("mapping the profile mark", page == MAP_FAILED ? errno : EEXIST);
	*(unsigned char *)page = 0xc3;	/* ret */
	if (mprotect(page, size, PROT_READ | PROT_EXEC))
		die("mapping the profile mark", errno);
	profile_mark = page;
}

static void profile_die(const struct section *s, const struct bench_case *c, const char *why)
{
	fprintf(stderr, "xdpq_bench: %s/%s: no profile: %s\n", s->name, c->name, why);
	exit(1);
}

/* Mark once count frames have arrived; false if the offer ended first. */
static bool profile_mark_at(struct profile_window *w, __u64 count, __u64 *got, double *when)
{
	do {
		if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			return false;
		*got = __atomic_load_n(w->received, __ATOMIC_RELAXED);
		if (*got < count)
			usleep(PROFILE_POLL_USECS);
	} while (*got < count);
	*when = now();
	profile_mark();
	w->marks++;
	return true;
}

static void *profile_window_run(void *arg)
{
	struct profile_window *w = arg;
	__u64 first, last;

	if (profile_mark_at(w, w->from, &first, &w->start) &&
	    profile_mark_at(w, w->to, &last, &w->end))
		w->frames = last - first;
	return NULL;
}

/* The thread runs on the next CPU the process could use after the offer's. */
static void profile_window_start(struct profile_window *w, const struct section *s,
				 const struct bench_case *c, const __u64 *received,
				 __u64 from, __u64 to)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int cpu, err;

	*w = (struct profile_window){ .received = received, .from = from, .to = to };
	for (cpu = opt.cpu + 1; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &opt.cpus); cpu++)
		;
	if (cpu == CPU_SETSIZE)
		for (cpu = 0; cpu < opt.cpu && !CPU_ISSET(cpu, &opt.cpus); cpu++)
			;
	if (cpu == opt.cpu)
		profile_die(s, c, "no CPU to mark from besides the offer's");
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!err)
		err = pthread_create(&w->thread, &attr, profile_window_run, w);
	pthread_attr_destroy(&attr);
	if (err)
		die("starting the profile window", err);
}

/* After an offer that ended at end: both marks must have run inside it,
 * unless it failed, which the caller handles.
 */
static void profile_window_end(struct profile_window *w, const struct section *s,
			       const struct bench_case *c, int err, double end)
{
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	pthread_join(w->thread, NULL);
	if (!err && (w->marks != 2 || w->end > end))
		profile_die(s, c, "the offer ended before the window did");
}

static void profile_window_write(const struct profile_window *w, const struct section *s,
				 const struct bench_case *c, const struct bench_result *r)
{
	if (r->lost)
		profile_die(s, c, "frames were lost, whose cost the others would carry");
	fprintf(opt.profile, "%s/%s %llu %.0f\n", s->name, c->name, w->frames,
		(w->end - w->start) * 1e9);
	fflush(opt.profile);
}

/* One offer of the standing frames, a warm-up and n measured frames. One
 * BPF_PROG_RUN call, one page_pool: a frame that outlives the call that
 * offered it returns its page to a pool that is gone, and the source then
 * allocates a page per frame, which cost 160 ns per frame at 64k standing
 * frames when the fill was a call of its own. false: no memory for the
 * standing frames. With window, its marks are set during the offer.
 */
static bool case_run(const struct section *s, const struct bench_case *c,
		     struct xdpq_bench *skel, __u32 n, struct bench_result *r,
		     struct profile_window *window)
{
	struct bpf_program *progs[] = {
		[BENCH_DEVMAP] = skel->progs.bench_devmap,
		[BENCH_FIFO] = skel->progs.bench_enqueue_fifo,
		[BENCH_PIFO] = skel->progs.bench_enqueue_pifo,
		[BENCH_RBTREE] = skel->progs.bench_enqueue_rbtree,
	};
	struct bpf_program *prog = progs[c->path];
	__u64 *received = &s->ends->bss->received;
	__u32 warm = n / 4, total = c->depth + warm + n;
	double start, end;
	bool measured;
	__u64 before;
	int err;

	memset(r, 0, sizeof(*r));
	r->tx_blocked = tx_blocked(s);
	before = __atomic_load_n(received, __ATOMIC_RELAXED);
	if (window)
		profile_window_start(window, s, c, received, before + warm + n / 4,
				     before + warm + n / 4 * 3);
	start = now();
	err = offer(s, prog, total);
	end = now();
	if (window)
		profile_window_end(window, s, c, err, end);
	if (err == -ENOMEM && c->depth)
		return false;
	if (err)
		die("offering frames", err);
	measured = received_rate(s, before + warm, __atomic_load_n(received, __ATOMIC_RELAXED),
				 start, end, r);
	settle(s, c, skel);
	r->tx_blocked = tx_blocked(s) - r->tx_blocked;
	r->received_all = __atomic_load_n(received, __ATOMIC_RELAXED) - before;
	r->runs = skel->bss->timer_runs;
	r->runs_away = skel->bss->timer_runs_away;
	r->taken = skel->bss->taken;
	r->depth = queue_depth(skel, c->path);
	if (r->depth < c->depth) {
		fprintf(stderr, "xdpq_bench: %s/%s: the queue holds %llu frames, not %u\n",
			s->name, c->name, r->depth, c->depth);
		exit(1);
	}
	/* The offer beyond the standing frames: from its first frame on. */
	r->offered = warm + n;
	r->offer_secs = end - skel->bss->offer_start / 1e9;
	r->lost = (double)total - r->received_all - r->depth;
	if (!measured && r->received_all) {
		fprintf(stderr, "xdpq_bench: %s/%s: too few frames arrived after the warm-up, "
			"the rate is over the whole offer\n", s->name, c->name);
		r->received = r->received_all;
		r->secs = r->offer_secs;
	}
	return true;
}

static void csv_row(const struct section *s, const struct bench_case *c, int rep,
		    const char *metric, double value)
{
	if (opt.csv)
		fprintf(opt.csv, "%s,%s,%d,%s,%.6g\n", s->name, c->name, rep, metric, value);
}

static void report(const struct section *s, const struct bench_case *c, int rep,
		   const struct bench_result *r)
{
	double lost = 100 * r->lost / r->offered;
	double ns = r->received ? r->secs * 1e9 / r->received : 0;
	double per_run = r->runs ? (double)r->taken / r->runs : 0;
	double mpps = r->received ? r->received / r->secs / 1e6 : 0;
	double offered = r->offered / r->offer_secs / 1e6;
	double runs = r->runs / r->offer_secs;

	printf("%-6s %-15s round %d: %6.3f Mpps %6.0f ns/pkt, offered %6.3f Mpps, lost %4.1f %%",
	       s->name, c->name, rep, mpps, ns, offered, lost);
	if (c->path != BENCH_DEVMAP)
		printf(", depth %llu, %.0f timer runs/s, %.1f frames/run, %llu refused",
		       r->depth, runs, per_run, r->tx_blocked);
	if (r->runs_away)
		printf(", %llu runs not on CPU %d", r->runs_away, opt.cpu);
	printf("\n");
	csv_row(s, c, rep, "mpps", mpps);
	if (r->received)
		csv_row(s, c, rep, "ns_per_pkt", ns);
	csv_row(s, c, rep, "offered_mpps", offered);
	csv_row(s, c, rep, "lost_pct", lost);
	if (c->path != BENCH_DEVMAP) {
		csv_row(s, c, rep, "depth", r->depth);
		if (c->path != BENCH_RBTREE)	/* FIFO sub-queues, PIFO flows */
			csv_row(s, c, rep, "flows", c->flows);
		csv_row(s, c, rep, "timer_runs_per_s", runs);
		csv_row(s, c, rep, "frames_per_run", per_run);
		csv_row(s, c, rep, "tx_refused", r->tx_blocked);
		csv_row(s, c, rep, "timer_runs_away", r->runs_away);
	}
	if (opt.csv)
		fflush(opt.csv);
}

static unsigned long long mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* A freed map frees its queued frames after an RCU grace period, in the
 * background: wait for their pages, so that the next case neither runs
 * beside the freeing nor finds the memory still taken.
 */
static void wait_for_memory(unsigned long long want)
{
	double until = now() + MEM_WAIT_SECS;

	while (mem_available() < want && now() < until)
		usleep(100000);
}

/* For make bench-profile (harness/bench/profile): the addresses of the
 * JIT-compiled programs loaded now, the case's and the receiving end's,
 * which the plugin's counts are then attributed to.
 */
static void save_bpf_syms(const char *path)
{
	FILE *in = fopen("/proc/kallsyms", "r"), *out = fopen(path, "w");
	char line[512];

	if (!in || !out)
		die(in ? path : "/proc/kallsyms", errno);
	while (fgets(line, sizeof(line), in))
		if (strstr(line, "\t[bpf]"))
			fputs(line, out);
	fclose(in);
	if (fclose(out))
		die(path, errno);
}

static bool run_case(const struct section *s, const struct bench_case *c, int rep)
{
	unsigned long long queue_bytes = (unsigned long long)c->depth * QUEUED_PAGE;
	unsigned long long send_errors, avail = mem_available();
	struct profile_window window, *profile = opt.profile ? &window : NULL;
	struct xdpq_bench *skel;
	struct bench_result r;

	/* Leave a quarter of the memory to the rest of the guest. */
	if (queue_bytes > avail / 4 * 3) {
		printf("%-6s %-15s round %d: skipped, %u queued frames need %llu MiB, "
		       "the guest has %llu MiB available\n", s->name, c->name, rep, c->depth,
		       queue_bytes >> 20, avail >> 20);
		if (profile)
			profile_die(s, c, "skipped");
		return true;
	}
	skel = case_load(s, c);
	if (opt.bpf_syms)
		save_bpf_syms(opt.bpf_syms);
	if (!case_run(s, c, skel, opt.frames, &r, profile)) {
		printf("%-6s %-15s round %d: skipped, no memory for %u queued frames\n",
		       s->name, c->name, rep, c->depth);
		if (profile)
			profile_die(s, c, "skipped");
		xdpq_bench__destroy(skel);
		wait_for_memory(avail);
		return true;
	}
	send_errors = skel->bss->send_errors;
	xdpq_bench__destroy(skel);
	wait_for_memory(avail - (avail >> 5));
	report(s, c, rep, &r);
	if (profile)
		profile_window_write(profile, s, c, &r);
	if (!r.received_all)
		fprintf(stderr, "xdpq_bench: %s/%s: no frame arrived\n", s->name, c->name);
	if (send_errors)
		fprintf(stderr, "xdpq_bench: %s/%s: %llu sends failed\n", s->name, c->name,
			send_errors);
	return r.received_all && !send_errors;
}

static bool selected(const struct section *s, const struct bench_case *c, bool first)
{
	char name[80];

	snprintf(name, sizeof(name), "%s/%s", s->name, c->name);
	return (first || !c->scaling) && !fnmatch(opt.match, name, 0);
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("pinning to the CPU", errno);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-o CSV] [-n FRAMES] [-r ROUNDS] [-c CPU] [-m GLOB] "
		"[-k FILE] [-p FILE] SECTION:TX_DEV:RX_DEV...\n"
		"  -o  append section,case,rep,metric,value rows to CSV\n"
		"  -n  frames per measured run (default %u)\n"
		"  -r  rounds: runs of each case (default %d)\n"
		"  -c  the CPU to offer the frames from (default 0)\n"
		"  -m  run only the cases whose SECTION/CASE matches GLOB\n"
		"  -k  write the BPF programs' kernel symbols to FILE once loaded\n"
		"  -p  mark the steady state of each offer for make bench-profile, and\n"
		"      append \"SECTION/CASE FRAMES NS\" for it to FILE\n",
		prog, opt.frames, opt.rounds);
	exit(2);
}

int main(int argc, char **argv)
{
	struct section *sections;
	int o, nr, i, rep;
	bool ok = true;
	size_t j;

	while ((o = getopt(argc, argv, "o:n:r:c:m:k:p:h")) != -1) {
		switch (o) {
		case 'o':
			opt.csv = fopen(optarg, "a");
			if (!opt.csv)
				die(optarg, errno);
			break;
		case 'n':
			opt.frames = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			opt.rounds = atoi(optarg);
			break;
		case 'c':
			opt.cpu = atoi(optarg);
			break;
		case 'm':
			opt.match = optarg;
			break;
		case 'k':
			opt.bpf_syms = optarg;
			break;
		case 'p':
			opt.profile = fopen(optarg, "a");
			if (!opt.profile)
				die(optarg, errno);
			profile_mark_init();
			break;
		default:
			usage(argv[0]);
		}
	}
	nr = argc - optind;
	if (nr < 1 || opt.frames < 4 * BATCH || opt.rounds < 1)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sched_getaffinity(0, sizeof(opt.cpus), &opt.cpus))
		die("reading the CPUs allowed", errno);
	pin_to_cpu(opt.cpu);
	sections = calloc(nr, sizeof(*sections));
	if (!sections)
		die("calloc", ENOMEM);
	for (i = 0; i < nr; i++)
		section_open(&sections[i], argv[optind + i]);

	for (rep = 1; rep <= opt.rounds; rep++)
		for (i = 0; i < nr; i++)
			for (j = 0; j < ARRAY_SIZE(cases); j++)
				if (selected(&sections[i], &cases[j], i == 0))
					ok &= run_case(&sections[i], &cases[j], rep);

	for (i = 0; i < nr; i++)
		xdpq_bench_rx__destroy(sections[i].ends);
	if (opt.csv)
		fclose(opt.csv);
	if (opt.profile)
		fclose(opt.profile);
	return ok ? 0 : 1;
}
