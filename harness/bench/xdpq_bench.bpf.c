// SPDX-License-Identifier: GPL-2.0
/* The forwarding paths `make bench` compares (see xdpq_bench.c), in one
 * object that user space loads afresh for every case:
 *
 *   bench_devmap   redirects every frame into a devmap: the baseline, XDP
 *                  forwarding as it is without xdpq.
 *   bench_enqueue_{fifo,pifo,rbtree}
 *                  queues every frame in the case's queue map, with the
 *                  key a scheduler would give it, and arms the timer.
 *   the timer      bench_timer_cb() takes frames out and sends them to
 *                  target_ifindex with xdp_packet_dequeue_send(), in the
 *                  pattern of samples/bpf/xdpq_fifo_fwd.bpf.c: what a
 *                  single sub-queue has, up to the run's quota; with
 *                  several, a deficit round robin quantum of bytes per
 *                  sub-queue in turn, as samples/bpf/xdpq_drr.h serves
 *                  them, but without carrying the overshoot of the last
 *                  frame over to the next turn: the frames all have the
 *                  same length, so every turn sends the same number.
 *
 * The keys:
 *
 *   FIFO    sub-queue seq % nr_flows: flows take turns, and the timer
 *           serves the sub-queues round robin, a quantum at a time.
 *   PIFO    start-time fair queueing of nr_flows flows of equal weight,
 *           each frame from a random flow (bench_hash()), as
 *           samples/bpf/xdpq_wfq.bpf.c ranks them:
 *           rank = max(V, F[flow]), F[flow] = rank + 1 (one
 *           rank per 64-byte frame), V the start tag of the frame in
 *           service: the rank at the head after the timer sent; if the
 *           run left none, the rank of the first frame it sent, at most
 *           a run behind the sample's V, the start tag of the frame that
 *           left last.
 *   rbtree  earliest departure times: now plus a random delay of up to
 *           EDT_HORIZON_NS; or, with random_ranks, random u64 ranks.
 *
 * Standing queues: the timer leaves `standing` frames queued and takes out
 * the frames beyond them, up to `budget` per run, so that every frame
 * waits behind `standing` others and a queue user space filled keeps its
 * depth. It reads the depth from the map (xdp_packet_nr_queued()), which
 * also counts the frames a full ring (virtio-net) gives back, and the map,
 * sized by user space, drops what arrives beyond its room. The enqueue
 * program thus does what a scheduler's must: pick the key, redirect, and
 * with a standing queue start the timer unless it is set; a run that
 * finds no more than the standing frames, as during the fill, leaves it
 * unset. The timer notes when the first frame beyond the standing ones
 * came, at the run that finds it (a batch later at most), so that the
 * enqueue program pays for no bookkeeping of the bench's that
 * bench_devmap does not. A run takes what arrived since the last one, so
 * the number of runs bounds the rate less than with the samples' budget
 * of 64.
 *
 * All of it runs on the CPU the frames are offered on: the timer is started
 * there, pinned to it by the program, by the map at the flush of the
 * frames that CPU offers; and veth receives on the CPU that transmits.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xdpq_bench.h"

int xdp_packet_dequeue_send(void *map, __u64 flags, __u32 ifindex, __u32 max_frames,
			    __u64 *bytes) __ksym;
int xdp_packet_peek_rank(void *map, __u64 flags, __u64 *rank) __ksym;
__s64 xdp_packet_nr_queued(void *map, __u64 flags) __ksym;

#define EDT_HORIZON_NS		1000000
#define BENCH_QUANTUM		1514	/* bytes, a sub-queue's turn */
#define BENCH_EBUSY		16
#define BENCH_CLOCK_MONOTONIC	1
#define BENCH_QUEUE_TOTAL	0xffffffffU	/* BPF_XDP_QUEUE_TOTAL */

const volatile __u32 bench_path = BENCH_FIFO;
const volatile __u32 nr_flows = 1;	/* FIFO sub-queues, PIFO flows */
const volatile bool random_ranks;	/* rbtree */
const volatile __u32 target_ifindex;
const volatile __u32 standing;		/* frames the timer leaves queued */
const volatile __u32 budget = 1;	/* frames per timer run, at most */
const volatile __u32 offer_cpu;		/* the CPU the frames are offered on */

/* User space sizes the case's queue map and leaves the others minimal. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, 1);
	__uint(map_extra, 1);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XDP_PIFO);
	__uint(max_entries, 1);
	__uint(map_extra, BENCH_PIFO_WINDOW);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} pifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XDP_RBTREE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} rbtree SEC(".maps");

struct bench_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_timer);
} timers SEC(".maps");

__u64 next_seq;		/* of the next frame, for the keys that depend on it */
__u64 taken;		/* frames the timer took out */
__u32 armed;		/* standing queues: the timer is set, running or waiting */
__u32 rr_next;		/* FIFO: the sub-queue the timer visits next */
__u64 vtime;		/* PIFO: V */
__u64 finish[BENCH_MAX_FLOWS];	/* PIFO: F */
__u64 timer_runs;	/* but those that found only the standing frames */
__u64 timer_runs_away;	/* of those, on another CPU than offer_cpu */
__u64 send_errors;
__u64 offer_start;	/* when the first frame beyond the standing ones came */

static __always_inline __s64 bench_depth(void)
{
	if (bench_path == BENCH_FIFO)
		return xdp_packet_nr_queued(&fifo, BENCH_QUEUE_TOTAL);
	if (bench_path == BENCH_PIFO)
		return xdp_packet_nr_queued(&pifo, BENCH_QUEUE_TOTAL);
	return xdp_packet_nr_queued(&rbtree, BENCH_QUEUE_TOTAL);
}

static __always_inline int bench_dequeue_send(__u32 subq, __u32 max_frames, __u64 bytes)
{
	if (bench_path == BENCH_FIFO)
		return xdp_packet_dequeue_send(&fifo, subq, target_ifindex, max_frames, &bytes);
	if (bench_path == BENCH_PIFO)
		return xdp_packet_dequeue_send(&pifo, 0, target_ifindex, max_frames, &bytes);
	return xdp_packet_dequeue_send(&rbtree, 0, target_ifindex, max_frames, &bytes);
}

/* A timer run: its progress over the steps of bpf_loop(). */
struct bench_run {
	__u32 subqs;		/* sub-queues to visit in turn */
	__u32 quota;		/* frames to take */
	__u32 empty;		/* sub-queues found empty in a row */
	__u32 handled;		/* frames taken out */
	bool blocked;		/* the target is over its XDP TX limit */
};

/* The next sub-queue sends what is left of the quota, with several at
 * most a quantum.
 */
static long bench_step(__u64 i, struct bench_run *run)
{
	__u32 subq = rr_next;
	__u64 rank;
	int n;

	rr_next = subq + 1 < run->subqs ? subq + 1 : 0;
	n = bench_dequeue_send(subq, run->quota - run->handled,
			       run->subqs == 1 ? ~0ULL : BENCH_QUANTUM);
	if (n == -BENCH_EBUSY) {
		rr_next = subq;	/* its frames are back at its head */
		run->blocked = true;
		return 1;
	}
	if (n < 0) {
		send_errors++;
		return 1;
	}
	if (!n) {
		run->empty++;
		return run->empty >= run->subqs;
	}
	run->empty = 0;
	if (bench_path == BENCH_PIFO && !xdp_packet_peek_rank(&pifo, 0, &rank))
		vtime = rank;
	run->handled += n;
	return run->handled >= run->quota;
}

/* Take out up to `budget` frames, and start again at once if that was the
 * budget. Otherwise, without a standing queue, the queue is empty and the
 * map starts the timer when frames arrive, as in the samples
 * (Documentation/bpf/map_xdp_queue.rst, "The timer pattern"). With one,
 * the queue is never empty: the run takes what the map holds beyond the
 * standing frames and the enqueue program starts the timer when more
 * arrive. The depth is exact, as the frames are redirected and flushed on
 * the CPU the timer runs on. A target over its XDP TX limit starts the
 * timer when it has room.
 */
static int bench_timer_cb(void *map, __u32 *key, struct bench_timer *t)
{
	__s64 depth = bench_depth();
	__u64 rank;
	struct bench_run run = {
		.subqs = bench_path == BENCH_FIFO ? nr_flows : 1,
		.quota = budget,
	};

	/* Only the standing frames, during the fill or as the last run */
	if (standing && depth <= standing) {
		armed = 0;
		return 0;
	}
	timer_runs++;
	if (bpf_get_smp_processor_id() != offer_cpu)
		timer_runs_away++;
	if (!offer_start && depth > standing)
		offer_start = bpf_ktime_get_ns();
	if (standing && depth - standing < budget)
		run.quota = depth - standing;
	/* V if the run leaves no frame, as it usually does without a
	 * standing queue; otherwise bench_step() moves it on to the head.
	 */
	if (bench_path == BENCH_PIFO && !standing &&
	    !xdp_packet_peek_rank(&pifo, 0, &rank))
		vtime = rank;
	bpf_loop(run.quota + run.subqs, bench_step, &run, 0);
	taken += run.handled;
	if (run.blocked)
		return 0;
	if (run.handled == budget)
		bpf_timer_start(&t->timer, 0, BPF_F_TIMER_CPU_PIN);
	else if (standing)
		armed = 0;
	return 0;
}

static __always_inline void bench_arm(void)
{
	struct bench_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return;
	armed = 1;
	bpf_timer_start(&t->timer, 0, BPF_F_TIMER_CPU_PIN);
}

/* Random-looking bits of the frame's sequence number (the splitmix64
 * finaliser): the bench's traffic, which frame belongs to which flow and
 * when it may leave, at the cost of reading a flow hash from the packet;
 * bpf_get_prandom_u32() costs some 60 instructions per call.
 */
static __always_inline __u64 bench_hash(__u64 seq)
{
	__u64 z = seq * 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A value below n from 32 random bits, by multiplying instead of dividing */
static __always_inline __u64 bench_below(__u64 hash, __u64 n)
{
	return ((__u64)(__u32)hash * n) >> 32;
}

/* nr_flows is a power of two, at most BENCH_MAX_FLOWS (xdpq_bench.c
 * checks): the verifier knows it, a constant of the frozen .rodata, and
 * so the bounds of the flow.
 */
static __always_inline __u64 bench_pifo_rank(__u64 seq)
{
	__u64 flow = bench_hash(seq) & ((__u64)nr_flows - 1);
	__u64 start;

	start = finish[flow] > vtime ? finish[flow] : vtime;
	finish[flow] = start + 1;
	return start;
}

static __always_inline __u64 bench_rbtree_rank(__u64 seq)
{
	if (random_ranks)
		return bench_hash(seq);
	return bpf_ktime_get_ns() + bench_below(bench_hash(seq), EDT_HORIZON_NS);
}

/* One enqueue program per path, as a scheduler has one: the path is a
 * constant, not a branch on bench_path that bench_devmap does not take.
 */
static __always_inline int bench_enqueue(enum bench_path path)
{
	if (standing && !armed)
		bench_arm();
	if (path == BENCH_FIFO)
		return bpf_redirect_map(&fifo, nr_flows > 1 ? next_seq++ % nr_flows : 0, 0);
	if (path == BENCH_PIFO)
		return bpf_redirect_map(&pifo, bench_pifo_rank(next_seq++), 0);
	return bpf_redirect_map(&rbtree, bench_rbtree_rank(next_seq++), 0);
}

SEC("xdp")
int bench_enqueue_fifo(struct xdp_md *ctx)
{
	return bench_enqueue(BENCH_FIFO);
}

SEC("xdp")
int bench_enqueue_pifo(struct xdp_md *ctx)
{
	return bench_enqueue(BENCH_PIFO);
}

SEC("xdp")
int bench_enqueue_rbtree(struct xdp_md *ctx)
{
	return bench_enqueue(BENCH_RBTREE);
}

SEC("xdp")
int bench_devmap(struct xdp_md *ctx)
{
	if (!offer_start)
		offer_start = bpf_ktime_get_ns();
	return bpf_redirect_map(&tx_port, 0, 0);
}

/* Run once by user space: the callback must be set by an XDP program to
 * run in a bpf_net_context, where it may send. Its first run finds the
 * queue empty, so the map starts it when frames arrive.
 */
SEC("xdp")
int bench_init(struct xdp_md *ctx)
{
	struct bench_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&timers, &key);
	if (!t)
		return XDP_ABORTED;
	if (bpf_timer_init(&t->timer, &timers, BENCH_CLOCK_MONOTONIC) ||
	    bpf_timer_set_callback(&t->timer, bench_timer_cb) ||
	    bpf_timer_start(&t->timer, 0, BPF_F_TIMER_CPU_PIN))
		return XDP_ABORTED;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
