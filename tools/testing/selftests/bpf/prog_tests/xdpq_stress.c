// SPDX-License-Identifier: GPL-2.0
/* Teardown under load. For a bounded time, frames enter a queue map from
 * two RX paths on both CPUs (veth NAPI fed by a packet socket, and live
 * frames from BPF_PROG_RUN) while a timer dequeues to two veth targets.
 * Meanwhile the test replaces the enqueueing XDP program, detaches and
 * re-attaches it, deletes and recreates a target, destroys a second queue
 * map while its timer sends, and deletes a netns holding a third queue's
 * target. Afterwards every frame is accounted for, exactly:
 *
 *   offered  = enqueued + drop_full + drop_range + drop_headroom
 *   enqueued = sent + send_failed + dropped + depth
 *
 * and no more frames arrived at the targets than were sent. Objects left
 * behind (pages, maps, devices) are what the debug kernel's kmemleak scan
 * and KASAN look for after `make check DEBUG=1`.
 */
#include <pthread.h>
#include <sched.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_stress.skel.h"

#define NS "xdpq_stress"
#define NS_GONE "xdpq_stress_gone"
#define STRESS_MS 3000
#define MIN_ROUNDS 2

#define SIDE_SRC 2	/* the side queues' frames, which the targets do not count */

static struct stress_frame {
	struct ethhdr eth;
	__u8 payload[50];
} __packed frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, 1 },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
}, side_frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, SIDE_SRC },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
};

struct producer {
	pthread_t thread;
	int cpu;
	int prog_fd;		/* live frames; else a packet socket */
	int ifindex;
	bool stop;
	int err;
};

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int offer_live(int prog_fd, int n, const struct stress_frame *f)
{
	struct xdp_md ctx = { .data_end = sizeof(*f), .ingress_ifindex = 1 };

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f,
		    .data_size_in = sizeof(*f), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = n, .batch_size = 64,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(prog_fd, &opts);
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_ifindex = p->ifindex,
		.sll_halen = ETH_ALEN,
	};
	int fd = -1;

	pin_to_cpu(p->cpu);
	if (!p->prog_fd) {
		fd = socket(AF_PACKET, SOCK_RAW, 0);
		if (fd < 0) {
			p->err = -errno;
			return NULL;
		}
	}
	while (!READ_ONCE(p->stop) && !p->err) {
		if (p->prog_fd)
			p->err = offer_live(p->prog_fd, 256, &frame);
		/* ENOBUFS: the socket path is only full for a moment */
		else if (sendto(fd, &frame, sizeof(frame), 0, (void *)&addr,
				sizeof(addr)) < 0 && errno != ENOBUFS)
			p->err = -errno;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int run_prog(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &frame,
		    .data_size_in = sizeof(frame), .repeat = 1);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static int set_target(struct xdpq_stress *skel, __u32 i, const char *dev)
{
	__u32 ifindex = if_nametoindex(dev);

	return bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &i, &ifindex, 0);
}

/* A veth pair whose peer counts and drops, and which takes redirects. */
static int add_target(struct xdpq_stress *skel, const char *dev, const char *peer)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %s && ip link set dev %s up && ip link set dev %s up",
		 dev, peer, dev, peer);
	if (system(cmd))
		return -1;
	return bpf_xdp_attach(if_nametoindex(peer),
			      bpf_program__fd(skel->progs.xdp_stress_count_rx), 0, NULL);
}

/* A scheduler instance of its own, holding frames for dev, and sending
 * them if its timer runs.
 */
static struct xdpq_stress *side_queue(const char *dev, bool timer)
{
	struct xdpq_stress *skel;

	skel = xdpq_stress__open();
	if (!skel)
		return NULL;
	skel->rodata->frame_src = SIDE_SRC;
	if (xdpq_stress__load(skel) || set_target(skel, 0, dev) || set_target(skel, 1, dev) ||
	    (timer && run_prog(skel->progs.xdp_stress_setup)) ||
	    offer_live(bpf_program__fd(skel->progs.xdp_stress_enqueue), 2048, &side_frame)) {
		xdpq_stress__destroy(skel);
		return NULL;
	}
	return skel;
}

static struct bpf_xdp_queue_stats queue_stats(struct xdpq_stress *skel)
{
	struct bpf_xdp_queue_stats st = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.stress_fifo), &key, &st);
	return st;
}

static bool balanced(struct xdpq_stress *skel, const char *name)
{
	struct bpf_xdp_queue_stats st = queue_stats(skel);
	__u64 offered = skel->bss->offered;
	bool ok;

	ok = ASSERT_EQ(offered, st.enqueued + st.drop_full + st.drop_range + st.drop_headroom,
		       name);
	ok &= ASSERT_EQ(st.enqueued, st.sent + st.send_failed + st.dropped + st.depth, name);
	printf("%s: offered %llu = enqueued %llu + full %llu + range %llu + headroom %llu; "
	       "enqueued = sent %llu + send_failed %llu + dropped %llu + queued %llu\n",
	       name, offered, st.enqueued, st.drop_full, st.drop_range, st.drop_headroom,
	       st.sent, st.send_failed, st.dropped, st.depth);
	return ok;
}

static void wait_drained(struct xdpq_stress *skel)
{
	int i;

	for (i = 0; i < 500 && queue_stats(skel).depth; i++) {
		run_prog(skel->progs.xdp_stress_kick);
		usleep(10000);
	}
	usleep(10000);	/* for the send of the last frame to be counted */
}

/* One round of everything that tears down under the producers' feet. */
static int churn(struct xdpq_stress *skel, int rx)
{
	struct bpf_program *alt = skel->progs.xdp_stress_enqueue_alt;
	struct xdpq_stress *victim, *gone;
	struct nstoken *nstoken;
	int err;

	err = bpf_link__update_program(skel->links.xdp_stress_enqueue, alt);
	err = err ?: bpf_link__update_program(skel->links.xdp_stress_enqueue,
					      skel->progs.xdp_stress_enqueue);
	if (err)
		return err;
	bpf_link__destroy(skel->links.xdp_stress_enqueue);
	skel->links.xdp_stress_enqueue = bpf_program__attach_xdp(skel->progs.xdp_stress_enqueue,
								 rx);
	if (!skel->links.xdp_stress_enqueue)
		return -errno;

	if (system("ip link del veth_t1") || add_target(skel, "veth_t1", "veth_t1p") ||
	    set_target(skel, 1, "veth_t1"))
		return -1;

	/* Destroyed while its timer sends to a live target. */
	victim = side_queue("veth_t0", true);
	if (!victim)
		return -1;
	xdpq_stress__destroy(victim);

	/* Its target's netns goes away under it. */
	if (system("ip netns add " NS_GONE))
		return -1;
	nstoken = open_netns(NS_GONE);
	if (!nstoken)
		return -1;
	gone = NULL;
	if (!add_target(skel, "veth_g", "veth_gp"))
		gone = side_queue("veth_g", false);
	close_netns(nstoken);
	err = system("ip netns del " NS_GONE);
	if (!gone)
		return -1;
	/* Its frames wait for a timer that starts after the netns is gone. */
	err = err ?: run_prog(gone->progs.xdp_stress_setup);
	wait_drained(gone);
	err = err ?: !balanced(gone, "queue whose netns was deleted");
	err = err ?: !ASSERT_EQ(queue_stats(gone).send_failed, gone->bss->offered,
				"sends into a deleted netns fail");
	xdpq_stress__destroy(gone);
	return err;
}

void test_xdpq_stress(void)
{
	struct producer prod[2] = {};
	struct nstoken *nstoken = NULL;
	struct xdpq_stress *skel = NULL;
	int rx, i, rounds = 0, started = 0;
	struct timespec t0, t;

	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	skel = xdpq_stress__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		goto out;
	SYS(out, "ip link add veth_in type veth peer name veth_q");
	SYS(out, "ip link set dev veth_in up && ip link set dev veth_q up");
	if (!ASSERT_OK(add_target(skel, "veth_t0", "veth_t0p"), "target 0") ||
	    !ASSERT_OK(add_target(skel, "veth_t1", "veth_t1p"), "target 1") ||
	    !ASSERT_OK(set_target(skel, 0, "veth_t0"), "set target 0") ||
	    !ASSERT_OK(set_target(skel, 1, "veth_t1"), "set target 1") ||
	    !ASSERT_OK(run_prog(skel->progs.xdp_stress_setup), "timer setup"))
		goto out;
	rx = if_nametoindex("veth_q");
	skel->links.xdp_stress_enqueue = bpf_program__attach_xdp(skel->progs.xdp_stress_enqueue,
								 rx);
	if (!ASSERT_OK_PTR(skel->links.xdp_stress_enqueue, "attach"))
		goto out;

	prod[0] = (struct producer){ .cpu = 0, .ifindex = if_nametoindex("veth_in") };
	prod[1] = (struct producer){ .cpu = 1,
		.prog_fd = bpf_program__fd(skel->progs.xdp_stress_enqueue) };
	for (i = 0; i < 2; i++, started++)
		if (!ASSERT_OK(pthread_create(&prod[i].thread, NULL, produce, &prod[i]),
			       "producer"))
			break;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (!ASSERT_OK(churn(skel, rx), "churn"))
			break;
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (rounds < MIN_ROUNDS ||
		 (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < STRESS_MS);

	for (i = 0; i < started; i++) {
		WRITE_ONCE(prod[i].stop, true);
		pthread_join(prod[i].thread, NULL);
		ASSERT_OK(prod[i].err, "producer error");
	}
	wait_drained(skel);
	printf("%d rounds of churn, %llu timer runs, %llu frames received\n", rounds,
	       skel->bss->timer_runs, skel->bss->rx_frames);
	ASSERT_GE(rounds, MIN_ROUNDS, "rounds");
	balanced(skel, "stressed queue");
	ASSERT_EQ(queue_stats(skel).depth, 0, "drained");
	ASSERT_GT(skel->bss->rx_frames, 0, "received");
	ASSERT_LE(skel->bss->rx_frames, queue_stats(skel).sent, "received <= sent");
out:
	xdpq_stress__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS_GONE);
	SYS_NOFAIL("ip netns del " NS);
}
