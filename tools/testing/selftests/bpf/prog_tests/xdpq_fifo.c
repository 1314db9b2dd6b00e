// SPDX-License-Identifier: GPL-2.0
/* BPF_MAP_TYPE_XDP_FIFO: the syscall interface, FIFO
 * order per sub-queue over 100,000 frames, overflow and bad sub-queues with
 * their counters and tracepoint errnos, finding sub-queues with frames
 * (xdp_packet_next_subq()), sending from a sub-queue by frames and bytes
 * (xdp_packet_dequeue_send()), and timer-driven forwarding to veth, tun and
 * virtio-net, with a timer the map starts when frames arrive; the
 * verifier's ownership rules. Attribute checks of all queue map types are
 * in xdpq_edge.c.
 */
#include <pthread.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_fifo.skel.h"
#include "xdpq_tap.h"
#include "xdpq_fifo_fail.skel.h"
#include "xdpq_ext_dispatcher.skel.h"
#include "xdpq_ext.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define NS "xdpq_fifo"
#define BATCH 64

struct xdpq_test_frame {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	struct udphdr udp;
	__u32 seq;
	__u8 pad[60];
} __packed;

static struct xdpq_test_frame test_frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, 1 },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
	.ip6.version = 6,
	.ip6.nexthdr = IPPROTO_UDP,
	.ip6.payload_len = __bpf_constant_htons(sizeof(struct udphdr) + 64),
	.ip6.hop_limit = 1,
	.udp.len = __bpf_constant_htons(sizeof(struct udphdr) + 64),
};

/* Offer n live frames to prog, as if they had been received on ifindex. */
static int offer_frames(struct bpf_program *prog, int ifindex, int n)
{
	struct xdp_md ctx = {
		.data_end = sizeof(test_frame),
		.ingress_ifindex = ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &test_frame,
		    .data_size_in = sizeof(test_frame),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .repeat = n,
		    .batch_size = BATCH);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

/* Run prog once on a copy of the test frame (not live). */
static int run_once(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &test_frame,
		    .data_size_in = sizeof(test_frame),
		    .repeat = 1);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static int read_stats(struct bpf_map *map, __u32 key, struct bpf_xdp_queue_stats *st)
{
	return bpf_map_lookup_elem(bpf_map__fd(map), &key, st);
}

static bool wait_u64(const __u64 *counter, __u64 want)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (READ_ONCE(*counter) >= want)
			return true;
		usleep(1000);
	}
	return READ_ONCE(*counter) >= want;
}

/* Does the output of bpftool ARGS contain want? test_progs runs from the
 * directory where the selftests build put its bpftool.
 */
static bool bpftool_shows(const char *args, const char *want)
{
	char cmd[256], line[512];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "./tools/sbin/bpftool %s 2>&1", args);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		found |= !!strstr(line, want);
	pclose(f);
	return found;
}

static void test_syscall_interface(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_extra = 3);
	struct bpf_xdp_queue_stats st = {};
	__u32 key, next, keys[8], n = 0;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_XDP_FIFO, "xdpq_sys", 4, sizeof(st), 64, &opts);
	if (!ASSERT_GE(fd, 0, "create"))
		return;
	key = 0;
	ASSERT_EQ(bpf_map_update_elem(fd, &key, &st, 0), -EOPNOTSUPP, "update");
	ASSERT_EQ(bpf_map_delete_elem(fd, &key), -EOPNOTSUPP, "delete");
	key = 3;
	ASSERT_EQ(bpf_map_lookup_elem(fd, &key, &st), -ENOENT, "lookup beyond last subq");
	key = BPF_XDP_QUEUE_TOTAL;
	if (ASSERT_OK(bpf_map_lookup_elem(fd, &key, &st), "lookup total"))
		ASSERT_EQ(st.depth, 0, "empty depth");

	/* get_next_key walks the sub-queues, then the totals. */
	if (!ASSERT_OK(bpf_map_get_next_key(fd, NULL, &next), "first key"))
		goto out;
	do {
		keys[n++] = next;
		key = next;
	} while (n < ARRAY_SIZE(keys) && !bpf_map_get_next_key(fd, &key, &next));
	ASSERT_EQ(n, 4, "keys");
	ASSERT_EQ(keys[0], 0, "key 0");
	ASSERT_EQ(keys[2], 2, "key 2");
	ASSERT_EQ(keys[3], BPF_XDP_QUEUE_TOTAL, "key total");

	/* bpftool knows the type and finds the map by name. */
	ASSERT_TRUE(bpftool_shows("map show name xdpq_sys", "xdp_fifo"), "bpftool map show");
out:
	close(fd);
}

#define ORDER_SUBQ 4
#define ORDER_ROUNDS 10
#define ORDER_FRAMES 10000

static void test_fifo_order(void)
{
	struct bpf_xdp_queue_stats st;
	struct xdpq_fifo *skel;
	int round, i;

	skel = xdpq_fifo__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	skel->rodata->nr_subq = ORDER_SUBQ;
	if (!ASSERT_OK(xdpq_fifo__load(skel), "load"))
		goto out;

	for (round = 1; round <= ORDER_ROUNDS; round++) {
		if (!ASSERT_OK(offer_frames(skel->progs.xdp_enqueue_seq, 1, ORDER_FRAMES),
			       "enqueue"))
			goto out;
		if (!ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "stats") ||
		    !ASSERT_EQ(st.depth, ORDER_FRAMES, "depth after enqueue"))
			goto out;
		if (!ASSERT_OK(run_once(skel->progs.xdp_drain_check), "drain") ||
		    !ASSERT_EQ(skel->bss->drained, (__u64)round * ORDER_FRAMES, "drained"))
			goto out;
	}
	ASSERT_EQ(skel->bss->order_errors, 0, "order_errors");
	ASSERT_EQ(skel->bss->read_errors, 0, "read_errors");

	for (i = 0; i < ORDER_SUBQ; i++) {
		if (!ASSERT_OK(read_stats(skel->maps.fifo, i, &st), "subq stats"))
			goto out;
		ASSERT_EQ(st.depth, 0, "subq depth");
		ASSERT_EQ(st.enqueued, ORDER_ROUNDS * ORDER_FRAMES / ORDER_SUBQ, "subq enqueued");
		ASSERT_EQ(st.dequeued, ORDER_ROUNDS * ORDER_FRAMES / ORDER_SUBQ, "subq dequeued");
	}
	if (!ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "totals"))
		goto out;
	ASSERT_EQ(st.enqueued, ORDER_ROUNDS * ORDER_FRAMES, "enqueued");
	ASSERT_EQ(st.dequeued, ORDER_ROUNDS * ORDER_FRAMES, "dequeued");
	ASSERT_EQ(st.dropped, ORDER_ROUNDS * ORDER_FRAMES, "dropped by program");
	ASSERT_EQ(st.drop_full + st.drop_range + st.drop_headroom, 0, "enqueue drops");
out:
	xdpq_fifo__destroy(skel);
}

/* A map with room for 1000 frames offered 1500: exactly 500 are refused,
 * each with -EOVERFLOW on the redirect error tracepoint.
 */
static void test_overflow(void)
{
	struct bpf_xdp_queue_stats st;
	struct xdpq_fifo *skel;

	skel = xdpq_fifo__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_map__set_max_entries(skel->maps.fifo, 1000);
	if (!ASSERT_OK(xdpq_fifo__load(skel), "load") ||
	    !ASSERT_OK(xdpq_fifo__attach(skel), "attach"))
		goto out;

	if (!ASSERT_OK(offer_frames(skel->progs.xdp_enqueue_seq, 1, 1500), "enqueue") ||
	    !ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "stats"))
		goto out;
	ASSERT_EQ(st.depth, 1000, "depth");
	ASSERT_EQ(st.enqueued, 1000, "enqueued");
	ASSERT_EQ(st.drop_full, 500, "drop_full");
	ASSERT_EQ(skel->bss->redirect_errors, 500, "tracepoint errors");
	ASSERT_EQ(skel->bss->last_redirect_err, -EOVERFLOW, "tracepoint errno");

	if (!ASSERT_OK(run_once(skel->progs.xdp_drain_check), "drain"))
		goto out;
	ASSERT_EQ(skel->bss->drained, 1000, "drained");
	ASSERT_EQ(skel->bss->order_errors, 0, "order_errors");
out:
	xdpq_fifo__destroy(skel);
}

static void test_bad_subqueue(void)
{
	struct bpf_xdp_queue_stats st;
	struct xdpq_fifo *skel;

	skel = xdpq_fifo__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	skel->rodata->nr_subq = 2;
	bpf_map__set_map_extra(skel->maps.fifo, 2);
	if (!ASSERT_OK(xdpq_fifo__load(skel), "load") ||
	    !ASSERT_OK(xdpq_fifo__attach(skel), "attach"))
		goto out;
	skel->bss->enqueue_subq_offset = 2;	/* sub-queues 2 and 3 do not exist */

	if (!ASSERT_OK(offer_frames(skel->progs.xdp_enqueue_seq, 1, 300), "enqueue") ||
	    !ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "stats"))
		goto out;
	ASSERT_EQ(st.depth, 0, "depth");
	ASSERT_EQ(st.drop_range, 300, "drop_range");
	ASSERT_EQ(skel->bss->redirect_errors, 300, "tracepoint errors");
	ASSERT_EQ(skel->bss->last_redirect_err, -ERANGE, "tracepoint errno");
out:
	xdpq_fifo__destroy(skel);
}

/* Frames in four sub-queues from first on, of a map of nr: the answers
 * of xdp_packet_next_subq() for ranges around them (the first found, the
 * end of a range clamped to the map, nothing in empty or reversed ranges
 * and beyond the map), and a drain that follows it takes every frame,
 * sub-queue by sub-queue. The map keeps a bitmap of the sub-queues with
 * frames: 126 to 129 of 256 straddle two of its words.
 */
static void next_subq(__u32 nr, __u32 first)
{
	const struct { __u32 from, to; int ret; } q[] = {
		{ 0, nr, first }, { first + 1, nr, first + 1 },
		{ first + 3, nr + 1000, first + 3 }, { first + 4, nr + 1000, -ENOENT },
		{ 0, first, -ENOENT }, { first + 2, first + 2, -ENOENT },
		{ first + 3, first + 1, -ENOENT }, { nr, nr + 64, -ENOENT },
	};
	struct bpf_xdp_queue_stats st;
	struct xdpq_fifo *skel;
	int i;

	skel = xdpq_fifo__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	skel->rodata->nr_subq = 4;
	bpf_map__set_map_extra(skel->maps.fifo, nr);
	if (!ASSERT_OK(xdpq_fifo__load(skel), "load"))
		goto out;
	skel->bss->enqueue_subq_offset = first;
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		skel->bss->next_from[i] = q[i].from;
		skel->bss->next_to[i] = q[i].to;
	}
	if (!ASSERT_OK(offer_frames(skel->progs.xdp_enqueue_seq, 1, 40), "enqueue") ||
	    !ASSERT_OK(run_once(skel->progs.xdp_next_subq), "next_subq"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(q); i++)
		ASSERT_EQ(skel->bss->next_ret[i], q[i].ret, "next_subq");
	ASSERT_EQ(skel->bss->next_drained, 40, "drained");
	ASSERT_EQ(skel->bss->next_errors, 0, "next_errors");
	if (!ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "stats"))
		goto out;
	ASSERT_EQ(st.depth, 0, "depth");
	ASSERT_EQ(st.dropped, 40, "dropped by program");
out:
	xdpq_fifo__destroy(skel);
}

static void test_next_subq(void)
{
	next_subq(64, 2);
	next_subq(256, 126);
}

/* Load the forwarder with its timer, sending to target. The timer's first
 * run finds the queue empty and waits for frames.
 */
static bool fwd_arm(struct xdpq_fifo *skel, int target)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &test_frame,
		    .data_size_in = sizeof(test_frame));
	int err;

	skel->bss->target_ifindex = target;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_fwd_setup), &opts);
	return ASSERT_OK(err, "timer setup") &&
	       ASSERT_EQ(opts.retval, XDP_DROP, "timer setup retval");
}

static struct xdpq_fifo *fwd_start(int target)
{
	struct xdpq_fifo *skel;

	skel = xdpq_fifo__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return NULL;
	if (fwd_arm(skel, target))
		return skel;
	xdpq_fifo__destroy(skel);
	return NULL;
}

/* Offer n frames to the forwarder in batches and wait until the timer has
 * sent them all.
 */
/* The map counts a frame sent once its device took it: a send can still
 * come back to the queue when the device's ring refuses it. Wait for n.
 */
static void wait_sent(struct xdpq_fifo *skel, __u64 n, struct bpf_xdp_queue_stats *st)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, st) || st->sent >= n)
			return;
		usleep(1000);
	}
}

static bool fwd_frames(struct xdpq_fifo *skel, int ifindex, int n)
{
	struct bpf_xdp_queue_stats st = {};

	if (!ASSERT_OK(offer_frames(skel->progs.xdp_fwd_enqueue, ifindex, n), "offer"))
		return false;
	wait_sent(skel, n, &st);
	ASSERT_EQ(st.enqueued, n, "enqueued");
	ASSERT_EQ(st.sent, n, "sent");
	ASSERT_EQ(st.depth, 0, "depth");
	ASSERT_EQ(skel->bss->fwd_send_errors, 0, "send errors");
	return true;
}

/* NS, entered, with veth_src and veth_dst up; NULL if setup failed. */
static struct nstoken *veth_ns(int *src)
{
	struct nstoken *nstoken;

	SYS(fail, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return NULL;
	SYS(out, "ip link add veth_src type veth peer name veth_dst");
	SYS(out, "ip link set dev veth_src up");
	SYS(out, "ip link set dev veth_dst up");
	*src = if_nametoindex("veth_src");
	return nstoken;
out:
	close_netns(nstoken);
fail:
	return NULL;
}

/* A second instance, on veth_dst, counting what arrives. */
static struct xdpq_fifo *rx_counter(void)
{
	struct xdpq_fifo *rx = xdpq_fifo__open_and_load();

	if (!ASSERT_OK_PTR(rx, "rx skel"))
		return NULL;
	rx->links.xdp_count_rx = bpf_program__attach_xdp(rx->progs.xdp_count_rx,
							 if_nametoindex("veth_dst"));
	if (ASSERT_OK_PTR(rx->links.xdp_count_rx, "attach rx"))
		return rx;
	xdpq_fifo__destroy(rx);
	return NULL;
}

/* In NS, the forwarder sending to veth_src and the counter on its peer.
 * The map is created in NS, so the timer resolves veth_src there. Returns
 * NULL if setup failed; the caller destroys *skel and *rx, closes the
 * token and deletes NS in any case.
 */
static struct nstoken *fwd_veth(struct xdpq_fifo **skel, struct xdpq_fifo **rx, int *src)
{
	struct nstoken *nstoken = veth_ns(src);

	if (!nstoken)
		return NULL;
	*skel = fwd_start(*src);
	*rx = rx_counter();
	if (*skel && *rx)
		return nstoken;
	close_netns(nstoken);
	return NULL;
}

/* Undo veth_ns() or fwd_veth(), whatever part of it was done. */
static void fwd_veth_end(struct xdpq_fifo *skel, struct xdpq_fifo *rx,
			 struct nstoken *nstoken)
{
	xdpq_fifo__destroy(rx);
	xdpq_fifo__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* The current netns's cookie, 0 if it cannot be read. */
static __u64 netns_cookie(void)
{
	socklen_t len = sizeof(__u64);
	__u64 cookie = 0;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!ASSERT_OK_FD(fd, "socket"))
		return 0;
	ASSERT_OK(getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len),
		  "SO_NETNS_COOKIE");
	close(fd);
	return cookie;
}

/* An instance counting the frames of each ndo_xdp_xmit() call to the veth
 * device veth and, unless bond is 0, to the bond device bond, both in the
 * current netns; NULL if setup failed.
 */
static struct xdpq_fifo *xmit_counter(int veth, int bond)
{
	struct xdpq_fifo *c = xdpq_fifo__open();

	if (!ASSERT_OK_PTR(c, "open counter"))
		return NULL;
	bpf_program__set_autoload(c->progs.count_xmit_frames, true);
	bpf_program__set_autoload(c->progs.count_bond_xmit_frames, bond);
	c->bss->xmit_ifindex = veth;
	c->bss->bond_xmit_ifindex = bond;
	c->bss->xmit_netns_cookie = netns_cookie();
	if (!ASSERT_OK(xdpq_fifo__load(c), "load counter"))
		goto err;
	c->links.count_xmit_frames = bpf_program__attach(c->progs.count_xmit_frames);
	if (!ASSERT_OK_PTR(c->links.count_xmit_frames, "attach veth counter"))
		goto err;
	if (!bond)
		return c;
	c->links.count_bond_xmit_frames = bpf_program__attach(c->progs.count_bond_xmit_frames);
	if (ASSERT_OK_PTR(c->links.count_bond_xmit_frames, "attach bond counter"))
		return c;
err:
	xdpq_fifo__destroy(c);
	return NULL;
}

#define FWD_FRAMES 10000

struct offer_args {
	struct xdpq_fifo *skel;
	int ifindex, cpu, frames, err;
};

static void *offer_on_cpu(void *arg)
{
	struct offer_args *a = arg;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(a->cpu, &cpus);
	a->err = pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	if (!a->err)
		a->err = offer_frames(a->skel->progs.xdp_fwd_enqueue, a->ifindex, a->frames);
	return NULL;
}

/* Forward FWD_FRAMES through the queue to veth_src, offered from nr_cpus
 * CPUs at once while the timer dequeues, one frame at a time or with
 * xdp_packet_dequeue_send() (batch): nothing lost, nothing duplicated,
 * and the device, which has an XDP TX limit, handed more frames at a time
 * than a devmap hands it, up to the 64 of a send bulk.
 */
static void timer_fwd_veth(int nr_cpus, bool batch)
{
	struct xdpq_fifo *skel = NULL, *rx = NULL, *counter = NULL;
	struct offer_args args[2] = {};
	struct bpf_xdp_queue_stats st;
	struct nstoken *nstoken = NULL;
	pthread_t threads[2];
	int src, i;

	nstoken = fwd_veth(&skel, &rx, &src);
	if (!nstoken)
		goto out;
	skel->bss->fwd_batch = batch;
	counter = xmit_counter(src, 0);
	if (!counter)
		goto out;

	for (i = 0; i < nr_cpus; i++) {
		args[i] = (struct offer_args){ .skel = skel, .ifindex = src, .cpu = i,
					       .frames = FWD_FRAMES / nr_cpus };
		if (!ASSERT_OK(pthread_create(&threads[i], NULL, offer_on_cpu, &args[i]),
			       "offer thread")) {
			nr_cpus = i;
			break;
		}
	}
	for (i = 0; i < nr_cpus; i++) {
		pthread_join(threads[i], NULL);
		ASSERT_OK(args[i].err, "offer");
	}
	wait_sent(skel, FWD_FRAMES, &st);
	ASSERT_TRUE(wait_u64(&rx->bss->rx_frames, FWD_FRAMES), "veth_dst got all");
	usleep(100000);	/* a duplicate would show up by now */
	if (!ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "stats"))
		goto out;
	ASSERT_EQ(st.enqueued, FWD_FRAMES, "enqueued");
	ASSERT_EQ(st.sent, FWD_FRAMES, "sent");
	ASSERT_EQ(st.depth, 0, "depth");
	ASSERT_EQ(skel->bss->fwd_send_errors, 0, "send errors");
	ASSERT_EQ(rx->bss->rx_frames, FWD_FRAMES, "rx_frames");
	/* Test frames of 126 bytes: the lowest limit lets 25 through */
	ASSERT_GT(counter->bss->xmit_max_frames, 16, "more frames a call than a devmap's");
out:
	xdpq_fifo__destroy(counter);
	fwd_veth_end(skel, rx, nstoken);
}

/* A device without an XDP TX limit, a bond over veth_src, gets the send
 * bulk in calls of 16 frames at most (DEV_MAP_BULK_SIZE), as from a
 * devmap; the bond hands veth_src one frame at a time. Nothing limits the
 * timer's runs to fewer frames than a batch, so calls of 16 are made. Nor
 * does anything hold the sender back from a full ring, but a run's 64
 * frames fit in veth's ring of 256 before its peer's NAPI runs.
 */
static void test_timer_fwd_bond(void)
{
	struct xdpq_fifo *skel = NULL, *rx = NULL, *counter = NULL;
	struct nstoken *nstoken;
	int src, bond;

	nstoken = veth_ns(&src);
	if (!nstoken)
		goto out;
	SYS(out, "ip link add bond_fwd type bond mode active-backup");
	SYS(out, "ip link set dev veth_src down");
	SYS(out, "ip link set dev veth_src master bond_fwd");
	SYS(out, "ip link set dev bond_fwd up");
	bond = if_nametoindex("bond_fwd");
	skel = fwd_start(bond);
	rx = rx_counter();
	if (!skel || !rx)
		goto out;
	counter = xmit_counter(src, bond);
	if (!counter || !fwd_frames(skel, src, FWD_FRAMES))
		goto out;
	ASSERT_TRUE(wait_u64(&rx->bss->rx_frames, FWD_FRAMES), "veth_dst got all");
	ASSERT_EQ(counter->bss->bond_xmit_max_frames, 16, "most frames per bond call");
	ASSERT_EQ(counter->bss->xmit_max_frames, 1, "most frames per veth call");
out:
	xdpq_fifo__destroy(counter);
	fwd_veth_end(skel, rx, nstoken);
}

#define EXT_FRAMES 1000

/* The sample forwarder loaded as an extension (freplace) of another XDP
 * program, as the libxdp dispatcher loads programs: its timer callback
 * sends, as an XDP program's does, all frames to veth_src.
 */
static void test_timer_fwd_freplace(void)
{
	struct xdpq_ext_dispatcher *disp = NULL;
	struct bpf_xdp_queue_stats st;
	struct nstoken *nstoken;
	struct xdpq_fifo *rx = NULL;
	struct xdpq_ext *ext = NULL;
	int src, disp_fd;

	nstoken = veth_ns(&src);
	if (!nstoken)
		goto out;
	rx = rx_counter();
	disp = xdpq_ext_dispatcher__open_and_load();
	if (!rx || !ASSERT_OK_PTR(disp, "dispatcher"))
		goto out;
	disp_fd = bpf_program__fd(disp->progs.xdpq_ext_dispatcher);
	ext = xdpq_ext__open();
	if (!ASSERT_OK_PTR(ext, "open ext") ||
	    !ASSERT_OK(bpf_program__set_attach_target(ext->progs.xdpq_ext_enqueue, disp_fd,
						      "xdpq_ext_slot"), "attach target") ||
	    !ASSERT_OK(xdpq_ext__load(ext), "load ext"))
		goto out;
	ext->bss->egress_ifindex = src;
	ext->links.xdpq_ext_enqueue = bpf_program__attach_freplace(ext->progs.xdpq_ext_enqueue,
								   disp_fd, "xdpq_ext_slot");
	if (!ASSERT_OK_PTR(ext->links.xdpq_ext_enqueue, "attach ext") ||
	    !ASSERT_OK(offer_frames(disp->progs.xdpq_ext_dispatcher, src, EXT_FRAMES), "offer"))
		goto out;
	ASSERT_TRUE(wait_u64(&rx->bss->rx_frames, EXT_FRAMES), "veth_dst got all");
	if (!ASSERT_OK(read_stats(ext->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "stats"))
		goto out;
	ASSERT_EQ(st.enqueued, EXT_FRAMES, "enqueued");
	ASSERT_EQ(st.sent, EXT_FRAMES, "sent");
	ASSERT_EQ(st.depth, 0, "depth");
out:
	xdpq_ext__destroy(ext);
	xdpq_ext_dispatcher__destroy(disp);
	xdpq_fifo__destroy(rx);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

#define DS_FRAMES 100	/* 50 in each of two sub-queues */

/* One xdp_packet_dequeue_send() from sub-queue subq (flags) to the
 * skeleton's target; its return value, and the bytes sent in *bytes.
 */
static int dequeue_send(struct xdpq_fifo *skel, __u64 flags, __u32 max_frames, __u64 *bytes)
{
	skel->bss->ds_flags = flags;
	skel->bss->ds_max_frames = max_frames;
	skel->bss->ds_bytes = *bytes;
	skel->bss->ds_ret = 1 << 30;
	if (!ASSERT_OK(run_once(skel->progs.xdp_dequeue_send), "run xdp_dequeue_send"))
		return -1;
	*bytes = skel->bss->ds_bytes;
	return skel->bss->ds_ret;
}

/* xdp_packet_nr_queued() of the sub-queue, or the map, that flags name. */
static __s64 nr_queued(struct xdpq_fifo *skel, __u64 flags)
{
	skel->bss->nq_flags = flags;
	skel->bss->nq_ret = 1 << 30;
	if (!ASSERT_OK(run_once(skel->progs.xdp_nr_queued), "run xdp_nr_queued"))
		return -1;
	return skel->bss->nq_ret;
}

/* veth_src has an XDP TX limit, which starts at two full-sized frames
 * and grows with its completions: a call sends what the limit lets through, and leaves
 * the rest queued. Calls again for what is left of max_frames
 * and of the budget until they are used up or the sub-queue is empty, and
 * expects want frames of want_bytes in total: what one call would send to
 * a target without a limit. An error must come from the first call.
 * Counts in ds_stopped_short the calls that stopped short at the limit.
 */
static int ds_stopped_short;

static void ds_expect(struct xdpq_fifo *skel, __u64 flags, __u32 max_frames, __u64 budget,
		      int want, __u64 want_bytes, const char *what)
{
	__u64 bytes, sent_bytes = 0;
	int ret, sent = 0, tries;
	bool short_call = false;

	for (tries = 0; tries < 1000 && sent < max_frames && sent_bytes < budget; tries++) {
		bytes = budget - sent_bytes;
		ret = dequeue_send(skel, flags, max_frames - sent, &bytes);
		if (ret == -EBUSY) {
			ds_stopped_short++;
			usleep(1000);	/* for the completions */
			continue;
		}
		if (ret < 0 && !sent) {
			sent = ret;
			sent_bytes = bytes;
		}
		if (ret <= 0)
			break;
		ds_stopped_short += short_call;	/* the sub-queue was not empty */
		short_call = ret < max_frames - sent && bytes < budget - sent_bytes;
		sent += ret;
		sent_bytes += bytes;
	}
	ASSERT_EQ(sent, want, what);
	ASSERT_EQ(sent_bytes, want_bytes, what);
}

/* xdp_packet_dequeue_send() to veth_src: frames by count and by bytes
 * (the frame that reaches the budget is the last), in order per
 * sub-queue, also when the target's limit stops a call short; errors
 * take no frame. xdp_packet_nr_queued() follows the counts.
 */
static void test_dequeue_send(void)
{
	struct xdpq_fifo *skel = NULL, *rx = NULL;
	const __u64 len = sizeof(test_frame);
	struct bpf_xdp_queue_stats st;
	struct nstoken *nstoken = NULL;
	int src;

	nstoken = veth_ns(&src);
	if (!nstoken)
		goto out;
	skel = xdpq_fifo__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		goto out;
	skel->rodata->nr_subq = 2;
	if (!ASSERT_OK(xdpq_fifo__load(skel), "load"))
		goto out;
	skel->bss->target_ifindex = src;
	rx = rx_counter();
	if (!rx)
		goto out;
	rx->bss->rx_check_order = true;
	if (!ASSERT_OK(offer_frames(skel->progs.xdp_enqueue_seq, src, DS_FRAMES), "offer"))
		goto out;

	ASSERT_EQ(nr_queued(skel, 0), DS_FRAMES / 2, "nr_queued sub-queue 0");
	ASSERT_EQ(nr_queued(skel, 1), DS_FRAMES / 2, "nr_queued sub-queue 1");
	ASSERT_EQ(nr_queued(skel, 2), 0, "nr_queued empty sub-queue");
	ASSERT_EQ(nr_queued(skel, BPF_XDP_QUEUE_TOTAL), DS_FRAMES, "nr_queued map");
	ASSERT_EQ(nr_queued(skel, 64), -ERANGE, "nr_queued sub-queue out of range");
	ASSERT_EQ(nr_queued(skel, 1ULL << 33), -EINVAL, "nr_queued unknown flag");

	ds_stopped_short = 0;
	ds_expect(skel, 0, 5, ~0ULL, 5, 5 * len, "5 frames");
	ASSERT_EQ(nr_queued(skel, 0), DS_FRAMES / 2 - 5, "nr_queued after 5 sent");
	ASSERT_EQ(nr_queued(skel, BPF_XDP_QUEUE_TOTAL), DS_FRAMES - 5, "nr_queued map after 5");
	ds_expect(skel, 0, 100, 2 * len + 1, 3, 3 * len, "budget of 2 frames and a byte");
	ds_expect(skel, 0, 100, 2 * len, 2, 2 * len, "budget of 2 frames");
	ds_expect(skel, 0, 100, 0, 0, 0, "no budget");
	ds_expect(skel, 0, 0, ~0ULL, 0, 0, "no frames");
	ds_expect(skel, 1ULL << 33, 100, ~0ULL, -EINVAL, 0, "unknown flag");
	ds_expect(skel, 64, 100, ~0ULL, -ERANGE, 0, "sub-queue out of range");
	skel->bss->target_ifindex = 0;
	ds_expect(skel, 0, 100, ~0ULL, -ENODEV, 0, "no such device");
	skel->bss->target_ifindex = src;
	if (!ASSERT_OK(read_stats(skel->maps.fifo, 0, &st), "stats"))
		goto out;
	ASSERT_EQ(st.depth, DS_FRAMES / 2 - 10, "sub-queue 0 after the errors");
	ds_expect(skel, 0, 100, ~0ULL, DS_FRAMES / 2 - 10, (DS_FRAMES / 2 - 10) * len,
		  "the rest of sub-queue 0");
	ds_expect(skel, 0, 100, ~0ULL, 0, 0, "sub-queue 0 empty");
	ds_expect(skel, 1, 100, ~0ULL, DS_FRAMES / 2, DS_FRAMES / 2 * len, "sub-queue 1");

	if (!ASSERT_OK(read_stats(skel->maps.fifo, BPF_XDP_QUEUE_TOTAL, &st), "total stats"))
		goto out;
	ASSERT_EQ(st.sent, DS_FRAMES, "sent");
	ASSERT_EQ(st.send_failed, 0, "send_failed");
	ASSERT_EQ(st.depth, 0, "depth");
	ASSERT_EQ(nr_queued(skel, BPF_XDP_QUEUE_TOTAL), 0, "nr_queued map at the end");
	ASSERT_TRUE(wait_u64(&rx->bss->rx_frames, DS_FRAMES), "veth_dst got all");
	usleep(50000);	/* a duplicate would show up by now */
	ASSERT_EQ(rx->bss->rx_frames, DS_FRAMES, "rx_frames");
	ASSERT_EQ(rx->bss->rx_order_errors, 0, "order per sub-queue");
	ASSERT_GT(ds_stopped_short, 0, "calls stopped short at the limit");
out:
	fwd_veth_end(skel, rx, nstoken);
}

/* The forwarder never polls: its timer runs when frames arrive in the
 * empty queue (the map starts it), then takes them out in a run or two
 * (one more if it used up its budget), and stays idle until the next
 * frames, however long that takes. The first batch may take a run per
 * completion that raises veth's XDP TX limit from its floor, at most one
 * per frame. With find_subq, its runs end when xdp_packet_next_subq(), not
 * the dequeue, finds the map empty.
 */
static void test_timer_waits_for_frames(bool find_subq)
{
	struct xdpq_fifo *skel = NULL, *rx = NULL;
	struct bpf_xdp_queue_stats st;
	struct nstoken *nstoken = NULL;
	int src, round;
	__u64 runs;

	nstoken = fwd_veth(&skel, &rx, &src);
	if (!nstoken || !ASSERT_TRUE(wait_u64(&skel->bss->fwd_runs, 1), "first run"))
		goto out;
	skel->bss->fwd_find_subq = find_subq;
	for (round = 1; round <= 3; round++) {
		runs = skel->bss->fwd_runs;
		usleep(50000);
		if (!ASSERT_EQ(skel->bss->fwd_runs, runs, "idle without frames"))
			goto out;
		if (!ASSERT_OK(offer_frames(skel->progs.xdp_fwd_enqueue, src, BATCH), "offer"))
			goto out;
		wait_sent(skel, round * BATCH, &st);
		ASSERT_EQ(st.sent, round * BATCH, "sent");
		ASSERT_EQ(st.depth, 0, "depth");
		usleep(50000);
		ASSERT_LE(skel->bss->fwd_runs - runs, round == 1 ? BATCH : 3, "runs for a batch");
	}
	ASSERT_EQ(skel->bss->fwd_send_errors, 0, "send errors");
	ASSERT_EQ(rx->bss->rx_frames, 3 * BATCH, "rx_frames");
out:
	fwd_veth_end(skel, rx, nstoken);
}

#define WAKE_FRAMES 1000

/* A timer pinned to its CPU stays there when the map wakes it from
 * another CPU: the forwarder waits for frames on CPU 1, they arrive on
 * CPU 0, and every run of its timer is on CPU 1.
 */
static void test_timer_wakes_on_its_cpu(void)
{
	struct offer_args args = { .cpu = 0, .frames = WAKE_FRAMES };
	struct xdpq_fifo *skel = NULL, *rx = NULL;
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	cpu_set_t cpus, cpu1;
	pthread_t thread;
	bool armed;
	int src;

	if (libbpf_num_possible_cpus() < 2) {
		test__skip();
		return;
	}
	nstoken = veth_ns(&src);
	if (!nstoken)
		goto out;
	skel = xdpq_fifo__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		goto out;
	skel->bss->fwd_pin = true;
	if (!ASSERT_OK(xdpq_fifo__load(skel), "load"))
		goto out;
	rx = rx_counter();
	if (!rx)
		goto out;

	CPU_ZERO(&cpu1);
	CPU_SET(1, &cpu1);
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(cpus), &cpus), "affinity") ||
	    !ASSERT_OK(sched_setaffinity(0, sizeof(cpu1), &cpu1), "on CPU 1"))
		goto out;
	armed = fwd_arm(skel, src);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (!armed || !ASSERT_TRUE(wait_u64(&skel->bss->fwd_runs, 1), "first run"))
		goto out;

	args.skel = skel;
	args.ifindex = src;
	if (!ASSERT_OK(pthread_create(&thread, NULL, offer_on_cpu, &args), "offer thread"))
		goto out;
	pthread_join(thread, NULL);
	if (!ASSERT_OK(args.err, "offer on CPU 0"))
		goto out;
	wait_sent(skel, WAKE_FRAMES, &st);
	ASSERT_EQ(st.sent, WAKE_FRAMES, "sent");
	ASSERT_EQ(skel->bss->fwd_send_errors, 0, "send errors");
	ASSERT_EQ(skel->bss->fwd_cpus, 1U << 1, "timer runs on CPU 1 only");
out:
	fwd_veth_end(skel, rx, nstoken);
}

static void test_timer_fwd_tun(void)
{
	struct xdpq_tap_reader *reader = calloc(1, sizeof(*reader));
	struct xdpq_fifo *skel = NULL;
	struct nstoken *nstoken = NULL;
	int tap;

	if (!ASSERT_OK_PTR(reader, "reader"))
		return;
	reader->fd = -1;
	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	if (!ASSERT_OK(xdpq_tap_start(reader, "xdpq_tap"), "tap"))
		goto out;
	/* Room for the whole burst: this test is about the queue and the
	 * timer, not about a slow reader.
	 */
	SYS(out, "ip link set dev xdpq_tap txqueuelen %d up", FWD_FRAMES);
	tap = if_nametoindex("xdpq_tap");

	skel = fwd_start(tap);
	if (!skel)
		goto out;
	if (fwd_frames(skel, tap, FWD_FRAMES))
		ASSERT_TRUE(wait_u64(&reader->frames, FWD_FRAMES), "reader got all");
	ASSERT_EQ(reader->frames, FWD_FRAMES, "frames read from the tap");
out:
	xdpq_tap_stop(reader);
	free(reader);
	xdpq_fifo__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* eth0 and eth1 share a QEMU hub: frames sent on eth0 arrive on eth1. The
 * virtio-net TX ring can overflow (that is what the hardware queue limits
 * of a later patch address), so every frame is accounted for: received on
 * eth1, or counted as a TX drop by eth0.
 */
static __u64 ethtool_stat(const char *dev, const char *stat)
{
	char cmd[256];
	__u64 sum = 0, v;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ethtool -S %s | awk '/%s:/ { print $2 }'", dev, stat);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%llu", &v) == 1)
		sum += v;
	pclose(f);
	return sum;
}

static void test_timer_fwd_virtio(void)
{
	struct xdpq_fifo *skel = NULL, *rx = NULL;
	__u64 drops_before, drops, seen = ~0ULL;
	int eth0, eth1, i;

	eth0 = if_nametoindex("eth0");
	eth1 = if_nametoindex("eth1");
	if (!eth0 || !eth1) {
		test__skip();
		return;
	}
	SYS(out, "ip link set eth0 up");
	SYS(out, "ip link set eth1 up promisc on");

	skel = fwd_start(eth0);
	rx = xdpq_fifo__open_and_load();
	if (!skel || !ASSERT_OK_PTR(rx, "rx skel"))
		goto out;
	/* virtio-net sends redirected frames only with an XDP program loaded */
	skel->links.xdp_count_rx = bpf_program__attach_xdp(skel->progs.xdp_count_rx, eth0);
	rx->links.xdp_count_rx = bpf_program__attach_xdp(rx->progs.xdp_count_rx, eth1);
	if (!ASSERT_OK_PTR(skel->links.xdp_count_rx, "attach eth0") ||
	    !ASSERT_OK_PTR(rx->links.xdp_count_rx, "attach eth1"))
		goto out;

	drops_before = ethtool_stat("eth0", "xdp_tx_drops");
	if (!fwd_frames(skel, eth0, FWD_FRAMES))
		goto out;
	for (i = 0; i < 100 && rx->bss->rx_frames != seen; i++) {
		seen = rx->bss->rx_frames;
		usleep(50000);
	}
	drops = ethtool_stat("eth0", "xdp_tx_drops") - drops_before;
	ASSERT_GT(rx->bss->rx_frames, 0, "eth1 received");
	ASSERT_EQ(rx->bss->rx_frames + drops, FWD_FRAMES, "received + tx drops");
	printf("%s: %llu of %d frames arrived, %llu dropped by the TX ring\n", __func__,
	       (unsigned long long)rx->bss->rx_frames, FWD_FRAMES, (unsigned long long)drops);
out:
	xdpq_fifo__destroy(rx);
	xdpq_fifo__destroy(skel);
	SYS_NOFAIL("ip link set eth1 promisc off");
}

void test_xdpq_fifo(void)
{
	if (test__start_subtest("syscall_interface"))
		test_syscall_interface();
	if (test__start_subtest("fifo_order"))
		test_fifo_order();
	if (test__start_subtest("overflow"))
		test_overflow();
	if (test__start_subtest("bad_subqueue"))
		test_bad_subqueue();
	if (test__start_subtest("next_subq"))
		test_next_subq();
	if (test__start_subtest("dequeue_send"))
		test_dequeue_send();
	if (test__start_subtest("timer_fwd_veth"))
		timer_fwd_veth(1, false);
	if (test__start_subtest("timer_fwd_veth_two_cpus"))
		timer_fwd_veth(2, false);
	if (test__start_subtest("timer_fwd_veth_batch"))
		timer_fwd_veth(2, true);
	if (test__start_subtest("timer_fwd_bond"))
		test_timer_fwd_bond();
	if (test__start_subtest("timer_fwd_freplace"))
		test_timer_fwd_freplace();
	if (test__start_subtest("timer_waits_for_frames"))
		test_timer_waits_for_frames(false);
	if (test__start_subtest("timer_waits_for_frames_next_subq"))
		test_timer_waits_for_frames(true);
	if (test__start_subtest("timer_wakes_on_its_cpu"))
		test_timer_wakes_on_its_cpu();
	if (test__start_subtest("timer_fwd_tun"))
		test_timer_fwd_tun();
	if (test__start_subtest("timer_fwd_virtio"))
		test_timer_fwd_virtio();
	if (test__start_subtest("verifier"))
		RUN_TESTS(xdpq_fifo_fail);
}
