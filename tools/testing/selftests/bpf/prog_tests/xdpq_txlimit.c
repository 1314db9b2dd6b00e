// SPDX-License-Identifier: GPL-2.0
/* XDP TX limits: a scheduler sends only what its target has room for,
 * sleeps while the target is full and is woken by the completion that
 * frees room. tun with a reader that pauses and resumes (per-frame and
 * bulk sends), and with a ring shorter than its limit, which gives frames
 * back, and with a scheduler slow to answer wakeups, which raises the
 * limit; veth, whose limit grows while its consumer starves and shrinks
 * while it lags, and which refuses a frame over its peer's MTU for good;
 * strict priority through a saturated target; a virtio-net burst whose
 * frames the TX ring drops through a devmap and never through the queue,
 * and a burst through virtio-net's per-CPU XDP send queues, which only
 * their completions can resume.
 */
#include <pthread.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_txlimit.skel.h"
#include "xdpq_tap.h"

#define NS "xdpq_txlimit"
#define LIMIT_MIN (2 * ETH_FRAME_LEN)	/* include/net/xdp_tx_limit.h */

static struct {
	struct ethhdr eth;
	__u8 l3l4[48];
	__u32 id;
	__u32 class;
	__u8 pad[56];
} __packed frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, 0x01 },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
};

/* Run prog on the test frame, padded to len bytes. */
static int run_prog_len(struct bpf_program *prog, int ifindex, int repeat, bool live,
			unsigned int len)
{
	static char data[1500];
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = data,
		    .data_size_in = len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat,
		    .batch_size = live ? 64 : 0,
		    .flags = live ? BPF_F_TEST_XDP_LIVE_FRAMES : 0);

	memcpy(data, &frame, sizeof(frame));
	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static int run_prog(struct bpf_program *prog, int ifindex, int repeat, bool live)
{
	return run_prog_len(prog, ifindex, repeat, live, sizeof(frame));
}

/* sysfs shows the devices of the netns it was mounted in: tests in NS
 * mount their own.
 */
#define NS_SYSFS "/tmp/xdpq_txlimit_sys"
static const char *sysfs = "/sys";

static int enter_ns(struct nstoken **nstoken)
{
	if (system("ip netns add " NS))
		return -1;
	*nstoken = open_netns(NS);
	if (!*nstoken || system("mkdir -p " NS_SYSFS " && mount -t sysfs sysfs " NS_SYSFS))
		return -1;
	sysfs = NS_SYSFS;
	return 0;
}

static void leave_ns(struct nstoken *nstoken)
{
	if (!strcmp(sysfs, NS_SYSFS))
		SYS_NOFAIL("umount " NS_SYSFS);
	sysfs = "/sys";
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* A counter of <sysfs>/class/net/<dev>/xdp_tx_limit/, -1 if absent. */
static long long txl_stat(const char *dev, const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/class/net/%s/xdp_tx_limit/%s", sysfs, dev, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static struct bpf_xdp_queue_stats queue_stats(struct xdpq_txlimit *skel)
{
	struct bpf_xdp_queue_stats st = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.q), &key, &st);
	return st;
}

static bool wait_for(const __u64 *counter, __u64 want, int ms)
{
	while (ms-- > 0 && READ_ONCE(*counter) < want)
		usleep(1000);
	return READ_ONCE(*counter) >= want;
}

static struct xdpq_txlimit *sched_start(int target, __u32 max_entries)
{
	struct xdpq_txlimit *skel;

	skel = xdpq_txlimit__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	if (max_entries)
		bpf_map__set_max_entries(skel->maps.q, max_entries);
	if (!ASSERT_OK(xdpq_txlimit__load(skel), "load"))
		goto err;
	skel->bss->target_ifindex = target;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_setup, target, 1, false), "timer"))
		goto err;
	return skel;
err:
	xdpq_txlimit__destroy(skel);
	return NULL;
}

/* veth_src and its peer veth_dst, up, in the test's netns, veth_dst with
 * an MTU of dst_mtu unless it is 0; a scheduler that sends to veth_src,
 * whose ifindex goes to *src, and veth_dst counting what it receives.
 */
static struct xdpq_txlimit *veth_sched_start(int dst_mtu, int *src)
{
	struct xdpq_txlimit *skel;

	SYS(err, "ip link add veth_src type veth peer name veth_dst");
	if (dst_mtu)
		SYS(err, "ip link set veth_dst mtu %d", dst_mtu);
	SYS(err, "ip link set veth_src up");
	SYS(err, "ip link set veth_dst up");
	*src = if_nametoindex("veth_src");
	skel = sched_start(*src, 0);
	if (!skel)
		return NULL;
	skel->links.xdp_record_rx = bpf_program__attach_xdp(skel->progs.xdp_record_rx,
							     if_nametoindex("veth_dst"));
	if (ASSERT_OK_PTR(skel->links.xdp_record_rx, "attach rx"))
		return skel;
	xdpq_txlimit__destroy(skel);
err:
	return NULL;
}

static void tap_stop(struct xdpq_tap_reader *reader)
{
	if (!reader)
		return;
	xdpq_tap_stop(reader);
	free(reader);
}

/* Enter the test's netns (*nstoken, to leave even on failure) and create
 * the tap xdpq_tap there, up, with its reader paused or not; *tap is its
 * ifindex.
 */
static struct xdpq_tap_reader *tap_start(struct nstoken **nstoken, bool paused,
					 int *tap)
{
	struct xdpq_tap_reader *reader = calloc(1, sizeof(*reader));

	if (!ASSERT_OK_PTR(reader, "reader"))
		return NULL;
	reader->fd = -1;
	reader->paused = paused;
	if (ASSERT_OK(enter_ns(nstoken), "netns") &&
	    ASSERT_OK(xdpq_tap_start(reader, "xdpq_tap"), "tap") &&
	    ASSERT_OK(system("ip link set dev xdpq_tap up"), "tap up")) {
		*tap = if_nametoindex("xdpq_tap");
		return reader;
	}
	tap_stop(reader);
	return NULL;
}

#define TUN_QUEUE 1000
#define TUN_OFFERED 1500

static void test_tun_pause_resume(bool bulk_send)
{
	struct xdpq_tap_reader *reader;
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	long long limit, inflight;
	__u64 runs;
	int tap;

	reader = tap_start(&nstoken, true, &tap);
	if (!reader)
		goto out;
	if (!ASSERT_EQ(txl_stat("xdpq_tap", "inflight"), 0, "tap has a limit"))
		goto out;

	skel = sched_start(tap, TUN_QUEUE);
	if (!skel)
		goto out;
	skel->bss->bulk_send = bulk_send;

	/* The reader is paused: the scheduler fills the tap up to its limit
	 * and stops; the queue fills up to its capacity and refuses the
	 * rest, counted.
	 */
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, tap, TUN_OFFERED, true), "offer"))
		goto out;
	usleep(200000);
	st = queue_stats(skel);
	limit = txl_stat("xdpq_tap", "limit");
	inflight = txl_stat("xdpq_tap", "inflight");
	/* xdp_packet_dequeue_send() returns what it took before the limit */
	if (!bulk_send)
		ASSERT_GE(skel->bss->busy, 1, "scheduler refused");
	ASSERT_GE(txl_stat("xdpq_tap", "blocked"), 1, "device blocked");
	/* Frames count against the limit from the send on, staged or not,
	 * and a send is refused once they reach it: one frame over at most.
	 */
	ASSERT_LE(inflight, limit + (long long)sizeof(frame), "inflight within the limit");
	ASSERT_GT(st.drop_full, 0, "queue full: dropped at enqueue");
	ASSERT_EQ(st.enqueued + st.drop_full, TUN_OFFERED, "every offered frame counted");
	ASSERT_EQ(skel->bss->sent * sizeof(frame), inflight, "sent = in flight");
	ASSERT_EQ(skel->data->last_budget, 0, "no budget left");

	/* Stalled, the scheduler costs nothing: its timer does not run. */
	runs = skel->bss->runs;
	usleep(300000);
	ASSERT_EQ(skel->bss->runs, runs, "no timer runs while stalled");

	/* The reader resumes: its reads complete frames, which wake the
	 * scheduler, until the queue is empty.
	 */
	WRITE_ONCE(reader->paused, false);
	if (!ASSERT_TRUE(wait_for(&reader->frames, st.enqueued, 20000), "all frames read"))
		goto out;
	usleep(50000);
	st = queue_stats(skel);
	ASSERT_EQ(reader->frames, st.enqueued, "frames read");
	ASSERT_EQ(skel->bss->sent, st.enqueued, "sent");
	ASSERT_EQ(st.depth, 0, "queue drained");
	ASSERT_EQ(st.send_failed, 0, "send failures");
	ASSERT_GT(skel->bss->runs, runs, "woken");
	ASSERT_GE(txl_stat("xdpq_tap", "wakeups"), 1, "woken by completions");
	ASSERT_EQ(txl_stat("xdpq_tap", "inflight"), 0, "nothing in flight");
out:
	tap_stop(reader);
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

/* A scheduler to the tap, offered n frames tagged with their ids; the
 * tap's ring_full count before the offer in *ring_full.
 */
static struct xdpq_txlimit *offer_tagged(int tap, int n, long long *ring_full,
					 bool bulk_send)
{
	struct xdpq_txlimit *skel;

	*ring_full = txl_stat("xdpq_tap", "ring_full");
	if (!ASSERT_GE(*ring_full, 0, "tap has a limit"))
		return NULL;
	skel = sched_start(tap, 0);
	if (!skel)
		return NULL;
	skel->bss->tag_ids = true;
	skel->bss->bulk_send = bulk_send;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, tap, n, true), "offer")) {
		xdpq_txlimit__destroy(skel);
		return NULL;
	}
	return skel;
}

/* The reader gets all the offered frames of a scheduler whose frames
 * are tagged with their ids, each once, in the order offered, and the
 * queue sent them all and is empty. false if they did not all arrive.
 */
static bool read_all_in_order(struct xdpq_tap_reader *reader, struct xdpq_txlimit *skel,
			      int offered)
{
	struct bpf_xdp_queue_stats st;
	int i;

	if (!ASSERT_TRUE(wait_for(&reader->frames, offered, 20000), "all frames read"))
		return false;
	usleep(50000);
	st = queue_stats(skel);
	ASSERT_EQ(reader->frames, offered, "frames read");
	ASSERT_EQ(st.sent, offered, "sent");
	ASSERT_EQ(st.send_failed, 0, "send failures");
	ASSERT_EQ(st.depth, 0, "queue drained");
	for (i = 0; i < offered; i++)
		if (!ASSERT_EQ(reader->tags[i], i, "offered order"))
			break;
	return true;
}

#define ORDER_RING 2		/* tap txqueuelen, frames */
#define ORDER_OFFERED 2000

/* A ring of two frames, fewer than the tap's XDP TX limit lets through
 * once its fast reader has raised it, gives frames back to the queue on
 * many flushes, among them the flushes of a bulk that one of the
 * scheduler's sends filled, or whose bytes filled the device's room: the
 * frames come back to the head of the queue, that send's frame behind
 * the others, and everything arrives once, in the order it was offered.
 */
static void test_tun_ring_gives_back_in_order(void)
{
	struct xdpq_tap_reader *reader;
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	long long ring_full;
	int tap;

	reader = tap_start(&nstoken, false, &tap);
	if (!reader)
		goto out;
	SYS(out, "ip link set dev xdpq_tap txqueuelen %d", ORDER_RING);
	skel = offer_tagged(tap, ORDER_OFFERED, &ring_full, false);
	if (!skel)
		goto out;
	if (!read_all_in_order(reader, skel, ORDER_OFFERED))
		goto out;
	ASSERT_GT(txl_stat("xdpq_tap", "ring_full") - ring_full, 0, "the ring gave frames back");
	printf("%s: %d frames through a %d-frame ring, which was full %lld times\n",
	       __func__, ORDER_OFFERED, ORDER_RING,
	       txl_stat("xdpq_tap", "ring_full") - ring_full);
out:
	tap_stop(reader);
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

#define FULL_RING 4		/* tap txqueuelen, frames */
#define FULL_OFFERED 100

/* A full ring puts its device over its XDP TX limit. With the reader
 * paused and the stack sending nothing (no IPv6), the scheduler's first
 * flush fills the tap's ring of four frames, far below the limit, and
 * the ring gives the rest back; the limit drops below what the ring
 * holds, so that a scheduler run started meanwhile is refused by the
 * limit instead of handing the full ring another frame (a limit of
 * exactly what was in flight let one frame in at every such run, each
 * refused by the ring). Resumed, the reader gets every frame once, in
 * the order offered. With bulk_send, xdp_packet_dequeue_send() counts
 * only the frames the ring took: those it gave back are queued again, and
 * the scheduler, which starts itself again after a full budget, stops.
 */
static void test_tun_full_ring_stops_sender(bool bulk_send)
{
	long long ring_full, inflight;
	struct xdpq_tap_reader *reader;
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	__u64 runs, busy;
	int tap;

	reader = tap_start(&nstoken, false, &tap);
	if (!reader)
		goto out;
	SYS(out, "sysctl -qw net.ipv6.conf.xdpq_tap.disable_ipv6=1");
	SYS(out, "ip link set dev xdpq_tap txqueuelen %d", FULL_RING);
	/* What the stack sent before leaves the ring while the reader reads */
	usleep(50000);
	WRITE_ONCE(reader->paused, true);
	usleep(50000);
	skel = offer_tagged(tap, FULL_OFFERED, &ring_full, bulk_send);
	if (!skel)
		goto out;
	if (bulk_send) {
		/* Its first run took what the ring took: no -EBUSY */
		if (!ASSERT_TRUE(wait_for(&skel->bss->sent, FULL_RING, 2000), "first run"))
			goto out;
		usleep(20000);
		ASSERT_EQ(skel->bss->sent, FULL_RING, "taken: what the ring took");
		ASSERT_EQ(skel->bss->busy, 0, "stopped without a refused run");
	} else if (!ASSERT_TRUE(wait_for(&skel->bss->busy, 1, 2000), "stopped at the limit")) {
		goto out;
	}
	usleep(20000);
	ASSERT_EQ(txl_stat("xdpq_tap", "ring_full") - ring_full, 1, "ring full once");
	inflight = txl_stat("xdpq_tap", "inflight");
	ASSERT_EQ(inflight, FULL_RING * sizeof(frame), "the ring holds the scheduler's frames");
	ASSERT_EQ(txl_stat("xdpq_tap", "limit"), inflight - 1, "limit below the ring's bytes");

	runs = skel->bss->runs;
	busy = skel->bss->busy;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_kick, tap, 1, false), "kick"))
		goto out;
	if (!ASSERT_TRUE(wait_for(&skel->bss->runs, runs + 1, 2000), "scheduler ran"))
		goto out;
	usleep(20000);
	ASSERT_EQ(skel->bss->busy, busy + 1, "refused by the limit");
	ASSERT_EQ(txl_stat("xdpq_tap", "ring_full") - ring_full, 1,
		  "nothing handed to the full ring");
	ASSERT_EQ(txl_stat("xdpq_tap", "inflight"), inflight, "the ring holds the same");

	WRITE_ONCE(reader->paused, false);
	if (read_all_in_order(reader, skel, FULL_OFFERED) && bulk_send)
		ASSERT_EQ(skel->bss->sent, FULL_OFFERED, "taken: each frame once");
out:
	tap_stop(reader);
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

#define SLOW_SCHED_NS 2000000
#define SLOW_SCHED_OFFERED 3000

/* tun completes frame by frame, as its reader takes them, so BQL never
 * sees a completion empty the ring from over the limit. A fast reader and
 * a scheduler that takes 2 ms to answer each wakeup: the tap runs dry
 * while the scheduler is on its way, and the limit grows from its floor
 * until half of it lasts that long. Nothing is lost meanwhile.
 */
static void test_tun_slow_scheduler_raises_limit(void)
{
	struct xdpq_tap_reader *reader;
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	long long limit;
	int tap;

	reader = tap_start(&nstoken, false, &tap);
	if (!reader)
		goto out;
	if (!ASSERT_EQ(txl_stat("xdpq_tap", "limit"), LIMIT_MIN, "initial limit"))
		goto out;
	skel = sched_start(tap, 0);
	if (!skel)
		goto out;
	skel->bss->resume_delay_ns = SLOW_SCHED_NS;

	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, tap, SLOW_SCHED_OFFERED, true),
		       "offer"))
		goto out;
	if (!ASSERT_TRUE(wait_for(&reader->frames, SLOW_SCHED_OFFERED, 20000),
			 "all frames read"))
		goto out;
	limit = txl_stat("xdpq_tap", "limit");
	st = queue_stats(skel);
	ASSERT_GT(limit, LIMIT_MIN, "limit grew");
	ASSERT_EQ(reader->frames, SLOW_SCHED_OFFERED, "frames read");
	ASSERT_EQ(st.sent, SLOW_SCHED_OFFERED, "sent");
	ASSERT_EQ(st.send_failed, 0, "send failures");
	ASSERT_EQ(txl_stat("xdpq_tap", "inflight"), 0, "nothing in flight");
	printf("%s: limit %d -> %lld bytes, %lld wakeups for %d frames\n",
	       __func__, LIMIT_MIN, limit, txl_stat("xdpq_tap", "wakeups"),
	       SLOW_SCHED_OFFERED);
out:
	tap_stop(reader);
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

#define SLOW_VETH_NS 50000
#define SLOW_VETH_ROUNDS 5
#define DQL_HOLD_US 1100000	/* xdp_tx_limit.c: dql_init(, HZ), and a tick */

/* BQL's algorithm raises the limit when the consumer ran dry between
 * completions, and lowers it when completions keep finding a backlog: a
 * fast consumer grows it from its floor, a slow one with a standing backlog
 * brings it down to what two completion batches need. veth_dst's NAPI
 * runs threaded so that the consumer runs next to the scheduler; softirq
 * NAPI would run on the sending CPU, after the scheduler, and never lag.
 *
 * A lower limit is taken only once the slack has held for dql's hold
 * time since the last raise. The slow phase starts after an idle hold
 * time, so that its first busy completions may lower the limit whatever
 * the last raise of the fast phase was; on a loaded host the fast phase
 * may raise the limit until its very end. A completion that finds the
 * consumer ran dry raises the limit again and restarts the hold time, and
 * one backlog drains in about 0.2 s: the backlog is offered again, up to
 * SLOW_VETH_ROUNDS times, until the limit fell.
 */
static void test_veth_limit_adapts(void)
{
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	long long grown, shrunk = 0;
	int src, i, round;

	if (!ASSERT_OK(enter_ns(&nstoken), "netns"))
		goto out;
	skel = veth_sched_start(0, &src);
	if (!skel)
		goto out;
	SYS(out, "echo 1 > %s/class/net/veth_dst/threaded", sysfs);
	if (!ASSERT_EQ(txl_stat("veth_src", "limit"), LIMIT_MIN, "initial limit"))
		goto out;

	/* A fast consumer: the limit grows. */
	for (i = 0; i < 20; i++) {
		if (!ASSERT_OK(run_prog_len(skel->progs.xdp_sched_enqueue, src, 1024, true, 1400),
			       "offer"))
			goto out;
		usleep(20000);
	}
	grown = txl_stat("veth_src", "limit");
	ASSERT_GT(grown, LIMIT_MIN, "limit grew");

	/* A slow consumer and small frames: the backlog stands. */
	usleep(DQL_HOLD_US);
	skel->bss->rx_delay_ns = SLOW_VETH_NS;
	for (round = 1;; round++) {
		if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, src, 4096, true),
			       "backlog"))
			goto out;
		for (i = 0; i < 200 && queue_stats(skel).depth; i++)
			usleep(20000);
		if (!ASSERT_EQ(queue_stats(skel).depth, 0, "backlog drained"))
			goto out;
		shrunk = txl_stat("veth_src", "limit");
		if (shrunk < grown || round == SLOW_VETH_ROUNDS)
			break;
	}
	ASSERT_LT(shrunk, grown, "limit shrank");
	ASSERT_GE(shrunk, LIMIT_MIN, "limit stays at its floor");

	printf("%s: limit %d -> %lld bytes with a fast consumer -> %lld with a slow one, backlogs %d\n",
	       __func__, LIMIT_MIN, grown, shrunk, round);
out:
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

#define UNFIT_MTU 1000	/* veth_dst's */
#define UNFIT_LEN 1400	/* over veth_dst's MTU, under veth_src's */

/* veth takes a frame only if it fits its peer's MTU, which the scheduler
 * does not check: it sends to veth_src. Such a frame, refused whenever it
 * is sent, is dropped as send_failed, where a full ring's frames go back to
 * the queue: the frames queued behind it still leave, and the ring's cap
 * on the limit stays as it was.
 */
static void test_veth_unfit_frame_dropped(void)
{
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	int src, i;

	if (!ASSERT_OK(enter_ns(&nstoken), "netns"))
		goto out;
	skel = veth_sched_start(UNFIT_MTU, &src);
	if (!skel)
		goto out;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, src, 100, true), "before") ||
	    !ASSERT_OK(run_prog_len(skel->progs.xdp_sched_enqueue, src, 1, true, UNFIT_LEN),
		       "unfit") ||
	    !ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, src, 100, true), "behind"))
		goto out;
	for (i = 0; i < 100; i++) {
		st = queue_stats(skel);
		if (st.sent + st.send_failed >= 201 && READ_ONCE(skel->bss->rx_n) >= 200)
			break;
		usleep(20000);
	}
	ASSERT_EQ(st.sent, 200, "sent");
	ASSERT_EQ(st.send_failed, 1, "the unfit frame dropped");
	ASSERT_EQ(st.depth, 0, "drained");
	ASSERT_EQ(skel->bss->rx_n, 200, "received");
	ASSERT_EQ(txl_stat("veth_src", "ring_full"), 0, "not taken for a full ring");
	ASSERT_EQ(txl_stat("veth_src", "inflight"), 0, "nothing in flight");
out:
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

#define NS_MOVE "xdpq_txlimit_move"

/* Moving a device to another netns unregisters it from the old one
 * (NETDEV_UNREGISTER) without unregistering it: it keeps its limit.
 */
static void test_netns_move_keeps_limit(void)
{
	struct nstoken *nstoken = NULL;

	if (!ASSERT_OK(enter_ns(&nstoken), "netns"))
		goto out;
	SYS(out, "ip netns add " NS_MOVE);
	SYS(out, "ip link add veth_mv type veth peer name veth_mv_peer");
	if (!ASSERT_EQ(txl_stat("veth_mv_peer", "limit"), LIMIT_MIN, "limit before"))
		goto out;
	SYS(out, "ip link set veth_mv_peer netns " NS_MOVE);
	SYS(out, "ip -n " NS_MOVE " link set veth_mv_peer netns " NS);
	ASSERT_EQ(txl_stat("veth_mv_peer", "limit"), LIMIT_MIN, "limit after the moves");
	ASSERT_EQ(txl_stat("veth_mv_peer", "inflight"), 0, "nothing in flight");
out:
	SYS_NOFAIL("ip netns del " NS_MOVE);
	leave_ns(nstoken);
}

/* A high-priority frame queued behind a backlog waits for at most what
 * is in flight at the target (its limit, one frame over), not for a full
 * ring. The reader is slow, so the scheduler sleeps at the limit most of
 * the time: the completion that wakes it leaves half the limit free, and
 * each wakeup moves that many frames, not the one the reader just took.
 */
static void test_priority_through_saturated_target(void)
{
	struct xdpq_tap_reader *reader;
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	long long limit, wakeups, completed;
	__u64 read_before, ahead = 0;
	int tap, i;

	reader = tap_start(&nstoken, false, &tap);
	if (!reader)
		goto out;
	WRITE_ONCE(reader->delay_us, 1000);
	skel = sched_start(tap, 0);
	if (!skel)
		goto out;

	skel->bss->enqueue_class = 7;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, tap, 2000, true), "backlog"))
		goto out;
	usleep(300000);
	skel->bss->enqueue_class = 0;
	read_before = READ_ONCE(reader->frames);
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, tap, 1, true), "urgent frame"))
		goto out;
	if (!ASSERT_TRUE(wait_for(&reader->frames, read_before + 200, 10000), "reading on"))
		goto out;
	limit = txl_stat("xdpq_tap", "limit");
	wakeups = txl_stat("xdpq_tap", "wakeups");
	completed = txl_stat("xdpq_tap", "completed_frames");
	for (i = read_before; i < reader->frames && reader->tags[i] != 0; i++)
		ahead++;
	ASSERT_LT(i, reader->frames, "urgent frame arrived");
	ASSERT_LE(ahead, limit / (long long)sizeof(frame) + 1, "frames ahead of the urgent one");
	if (ASSERT_GT(wakeups, 0, "woken by completions"))
		ASSERT_GE(completed / wakeups, limit / 2 / (long long)sizeof(frame) - 1,
			  "frames per wakeup");
	printf("%s: %llu frames of the backlog left ahead of the urgent frame (limit %lld bytes, tap ring: 500), %lld frames per wakeup\n",
	       __func__, (unsigned long long)ahead, limit,
	       wakeups > 0 ? completed / wakeups : 0);
out:
	tap_stop(reader);
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

struct stack_sender {
	int ifindex, frames, sent, err;
};

/* Send frames from ...:02 out of a device through a packet socket: skbs,
 * which share the veth peer's ring with XDP frames.
 */
static void *send_stack_frames(void *arg)
{
	struct stack_sender *s = arg;
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_ifindex = s->ifindex,
		.sll_halen = ETH_ALEN,
	};
	typeof(frame) skb_frame = frame;
	int fd, i;

	skb_frame.eth.h_source[5] = 0x02;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		s->err = -errno;
		return NULL;
	}
	/* -ENOBUFS is the stack's own back-pressure, not an error here. */
	for (i = 0; i < s->frames; i++) {
		if (sendto(fd, &skb_frame, sizeof(skb_frame), 0, (void *)&addr,
			   sizeof(addr)) >= 0)
			s->sent++;
		else if (errno != ENOBUFS)
			s->err = -errno;
	}
	close(fd);
	return NULL;
}

#define SHARED_XDP 20000
#define SHARED_STACK 5000

/* XDP frames and skbs share veth_dst's ring. The XDP TX limit bounds the
 * XDP bytes in flight, so the stack keeps room; a full ring gives XDP
 * frames back to their queue instead of dropping them. Both get through.
 */
static void test_shared_ring_with_stack(void)
{
	struct stack_sender sender = {};
	struct xdpq_txlimit *skel = NULL;
	struct nstoken *nstoken = NULL;
	__u64 seen = ~0ULL;
	pthread_t thread;
	int src, i;

	if (!ASSERT_OK(enter_ns(&nstoken), "netns"))
		goto out;
	skel = veth_sched_start(0, &src);
	if (!skel)
		goto out;

	sender = (struct stack_sender){ .ifindex = src, .frames = SHARED_STACK };
	if (!ASSERT_OK(pthread_create(&thread, NULL, send_stack_frames, &sender), "sender"))
		goto out;
	ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, src, SHARED_XDP, true), "offer");
	pthread_join(thread, NULL);
	ASSERT_OK(sender.err, "stack send");
	ASSERT_TRUE(wait_for(&skel->bss->sent, SHARED_XDP, 20000), "all XDP frames sent");
	for (i = 0; i < 100 && skel->bss->rx_n + skel->bss->rx_stack_n != seen; i++) {
		seen = skel->bss->rx_n + skel->bss->rx_stack_n;
		usleep(20000);
	}
	ASSERT_EQ(skel->bss->rx_n, SHARED_XDP, "XDP frames received");
	ASSERT_GT(sender.sent, 0, "stack frames sent");
	ASSERT_GE(skel->bss->rx_stack_n, sender.sent / 2, "stack frames received");
	printf("%s: %u of %d XDP frames and %llu of %d stack frames arrived\n", __func__,
	       skel->bss->rx_n, SHARED_XDP, (unsigned long long)skel->bss->rx_stack_n,
	       sender.sent);
out:
	xdpq_txlimit__destroy(skel);
	leave_ns(nstoken);
}

#define BURST 30000

/* The sum of dev's ethtool counters tx<queue>_<name>, -1 on error. */
static long long tx_queue_stat(const char *dev, const char *name)
{
	char cmd[64], line[128], key[64];
	long long sum = 0, v;
	unsigned int q;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ethtool -S %s", dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " tx%u_%63[^:]: %lld", &q, key, &v) == 3 && !strcmp(key, name))
			sum += v;
	if (pclose(f))
		return -1;
	return sum;
}

/* Wait until eth1 received want frames in total, or its count stopped
 * growing for a second.
 */
static __u64 rx_settle(struct xdpq_txlimit *skel, __u64 want)
{
	__u32 seen = READ_ONCE(skel->bss->rx_n);
	int idle_ms = 0;

	while (seen < want && idle_ms < 1000) {
		usleep(10000);
		if (READ_ONCE(skel->bss->rx_n) == seen) {
			idle_ms += 10;
		} else {
			seen = READ_ONCE(skel->bss->rx_n);
			idle_ms = 0;
		}
	}
	return seen;
}

#define SLOW_RX_NS 10000

/* Ids 0..n-1 that eth1 did not receive. */
static int rx_missing(struct xdpq_txlimit *skel, int n)
{
	int id, missing = 0;

	for (id = 0; id < n; id++)
		missing += !(skel->bss->rx_ids[id / 64] & (1ULL << (id % 64)));
	return missing;
}

/* eth0 and eth1 share a QEMU hub, which holds eth0's TX back while eth1
 * has no room. The same burst goes through a devmap, straight into eth0's
 * TX ring, and through the queue under eth0's limit, each time while eth1
 * is down, so that its RX ring fills and stays full whatever the vCPUs'
 * timing; eth1 then comes back as a slow receiver. The ring drops most of
 * the first burst. The queue holds the second: frames the ring refuses go
 * back to it, are sent again unchanged once eth1 drains, and every frame
 * arrives exactly once.
 */
static void test_virtio_burst(void)
{
	struct xdpq_txlimit *skel = NULL;
	long long ring_drops, devmap_drops, ring_full;
	struct bpf_xdp_queue_stats st;
	__u64 devmap_rx, queue_rx;
	int eth0, eth1, key = 0, i;

	eth0 = if_nametoindex("eth0");
	eth1 = if_nametoindex("eth1");
	if (!eth0 || !eth1) {
		test__skip();
		return;
	}
	SYS(out, "ip link set eth0 up");
	SYS(out, "ip link set eth1 up promisc on");
	skel = sched_start(eth0, 0);
	if (!skel)
		goto out;
	if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(skel->maps.tx_port), &key, &eth0, 0),
		       "tx_port"))
		goto out;
	skel->links.xdp_pass = bpf_program__attach_xdp(skel->progs.xdp_pass, eth0);
	skel->links.xdp_record_rx = bpf_program__attach_xdp(skel->progs.xdp_record_rx, eth1);
	if (!ASSERT_OK_PTR(skel->links.xdp_pass, "attach eth0") ||
	    !ASSERT_OK_PTR(skel->links.xdp_record_rx, "attach eth1"))
		goto out;
	if (!ASSERT_GE(txl_stat("eth0", "limit"), 0, "eth0 has a limit"))
		goto out;
	ring_drops = tx_queue_stat("eth0", "xdp_tx_drops");
	if (!ASSERT_GE(ring_drops, 0, "ethtool -S eth0"))
		goto out;
	skel->bss->rx_delay_ns = SLOW_RX_NS;

	/* Through a devmap: whatever does not fit in the ring is lost. */
	SYS(out, "ip link set eth1 down");
	if (!ASSERT_OK(run_prog(skel->progs.xdp_devmap_out, eth0, BURST, true), "devmap burst"))
		goto out;
	SYS(out, "ip link set eth1 up");
	devmap_rx = rx_settle(skel, BURST);
	devmap_drops = tx_queue_stat("eth0", "xdp_tx_drops") - ring_drops;
	ASSERT_GT(devmap_drops, 0, "devmap: the ring dropped");

	/* Through the queue, under eth0's XDP TX limit. The devmap's frames
	 * all carry id 0: forget them.
	 */
	memset(skel->bss->rx_ids, 0, sizeof(skel->bss->rx_ids));
	skel->bss->rx_dup = 0;
	ring_full = txl_stat("eth0", "ring_full");
	SYS(out, "ip link set eth1 down");
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, eth0, BURST, true), "queue burst"))
		goto out;
	usleep(100000);
	ASSERT_GT(queue_stats(skel).depth, 0, "queue: holds the burst while eth1 is down");
	SYS(out, "ip link set eth1 up");
	for (i = 0; i < 600; i++) {
		st = queue_stats(skel);
		if (st.sent + st.send_failed >= BURST)
			break;
		usleep(100000);
	}
	queue_rx = rx_settle(skel, devmap_rx + BURST) - devmap_rx;
	st = queue_stats(skel);
	ASSERT_EQ(st.sent, BURST, "queue: all sent");
	ASSERT_EQ(st.send_failed, 0, "queue: send failures");
	ASSERT_EQ(st.depth, 0, "queue: drained");
	ASSERT_EQ(queue_rx, BURST, "queue: frames received");
	ASSERT_EQ(rx_missing(skel, BURST), 0, "queue: ids missing");
	ASSERT_EQ(skel->bss->rx_dup, 0, "queue: ids received twice");
	printf("%s: %d frames: devmap: %lld dropped by the ring, %llu received; queue: %llu received, ring full %lld times; eth0 limit %lld\n",
	       __func__, BURST, devmap_drops, (unsigned long long)devmap_rx,
	       (unsigned long long)queue_rx, txl_stat("eth0", "ring_full") - ring_full,
	       txl_stat("eth0", "limit"));
out:
	xdpq_txlimit__destroy(skel);
	SYS_NOFAIL("ip link set eth1 up promisc off");
}

/* The number of dev's RX queues, -1 on error. virtio-net counts the XDP
 * queue pairs among them, not among the TX queues the stack may use.
 */
static int rx_queues(const char *dev)
{
	char cmd[128];
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -d %s/class/net/%s/queues/rx-* | wc -l", sysfs, dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	if (pclose(f))
		return -1;
	return n;
}

/* eth2 (harness/guest/run.sh) has queue pairs enough for virtio-net to
 * give XDP a send queue per CPU of its own, besides a pair per online CPU
 * for the stack. Nothing but the scheduler sends on them, so a scheduler
 * the limit holds back is only sent again by their TX completions: a burst
 * of many times the limit must leave in full, and leave nothing in flight.
 */
static void test_virtio_xdp_send_queues(void)
{
	struct xdpq_txlimit *skel = NULL;
	struct bpf_xdp_queue_stats st;
	int eth2, ncpus, i;

	eth2 = if_nametoindex("eth2");
	if (!eth2) {
		printf("%s:SKIP: no eth2, the host did not let QEMU create a tap\n", __func__);
		test__skip();
		return;
	}
	ncpus = libbpf_num_possible_cpus();
	SYS(out, "ip link set eth2 up");
	skel = sched_start(eth2, 0);
	if (!skel)
		goto out;
	skel->links.xdp_pass = bpf_program__attach_xdp(skel->progs.xdp_pass, eth2);
	if (!ASSERT_OK_PTR(skel->links.xdp_pass, "attach eth2"))
		goto out;
	if (!ASSERT_EQ(rx_queues("eth2"), 2 * ncpus, "XDP has send queues of its own") ||
	    !ASSERT_GE(txl_stat("eth2", "limit"), 0, "eth2 has a limit"))
		goto out;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_sched_enqueue, eth2, BURST, true), "burst"))
		goto out;
	for (i = 0; i < 300; i++) {
		st = queue_stats(skel);
		if (st.sent + st.send_failed >= BURST && !txl_stat("eth2", "inflight"))
			break;
		usleep(100000);
	}
	ASSERT_EQ(st.sent, BURST, "all sent");
	ASSERT_EQ(st.send_failed, 0, "send failures");
	ASSERT_EQ(st.depth, 0, "drained");
	ASSERT_GT(txl_stat("eth2", "blocked"), 0, "the limit held the scheduler back");
	ASSERT_EQ(txl_stat("eth2", "inflight"), 0, "nothing left in flight");
out:
	xdpq_txlimit__destroy(skel);
	SYS_NOFAIL("ip link set eth2 down");
}

void test_xdpq_txlimit(void)
{
	if (test__start_subtest("tun_pause_resume"))
		test_tun_pause_resume(false);
	if (test__start_subtest("tun_pause_resume_bulk"))
		test_tun_pause_resume(true);
	if (test__start_subtest("tun_ring_gives_back_in_order"))
		test_tun_ring_gives_back_in_order();
	if (test__start_subtest("tun_full_ring_stops_sender"))
		test_tun_full_ring_stops_sender(false);
	if (test__start_subtest("tun_full_ring_stops_bulk_sender"))
		test_tun_full_ring_stops_sender(true);
	if (test__start_subtest("tun_slow_scheduler_raises_limit"))
		test_tun_slow_scheduler_raises_limit();
	if (test__start_subtest("veth_limit_adapts"))
		test_veth_limit_adapts();
	if (test__start_subtest("veth_unfit_frame_dropped"))
		test_veth_unfit_frame_dropped();
	if (test__start_subtest("netns_move_keeps_limit"))
		test_netns_move_keeps_limit();
	if (test__start_subtest("priority_through_saturated_target"))
		test_priority_through_saturated_target();
	if (test__start_subtest("shared_ring_with_stack"))
		test_shared_ring_with_stack();
	if (test__start_subtest("virtio_burst"))
		test_virtio_burst();
	if (test__start_subtest("virtio_xdp_send_queues"))
		test_virtio_xdp_send_queues();
}
