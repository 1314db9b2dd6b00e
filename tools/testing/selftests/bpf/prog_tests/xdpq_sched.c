// SPDX-License-Identifier: GPL-2.0
/* Schedulers on the rank ordered queue maps, driven by bpf_timer and
 * forwarding to veth: strict priority on a PIFO sends a backlog class by
 * class; EDT pacing on an rbtree sends each frame at its departure time,
 * never early and, within what TCG allows, not late.
 */
#include <net/if.h>
#include <linux/if_ether.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_sched.skel.h"

#define NS "xdpq_sched"

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

static int run_prog(struct bpf_program *prog, int ifindex, int repeat, bool live)
{
	struct xdp_md ctx = { .data_end = sizeof(frame), .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &frame,
		    .data_size_in = sizeof(frame),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat,
		    .flags = live ? BPF_F_TEST_XDP_LIVE_FRAMES : 0);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static bool wait_rx(struct xdpq_sched *skel, __u32 want, int ms)
{
	while (ms-- > 0 && READ_ONCE(skel->bss->rx_n) < want)
		usleep(1000);
	return READ_ONCE(skel->bss->rx_n) >= want;
}

/* veth_src -> veth_dst in NS, the scheduler sending to veth_src. */
static struct xdpq_sched *sched_setup(struct nstoken **nstoken, int *src)
{
	struct xdpq_sched *skel;
	int dst;

	if (!ASSERT_OK(system("ip netns add " NS), "netns"))
		return NULL;
	*nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(*nstoken, "open_netns") ||
	    !ASSERT_OK(system("ip link add veth_src type veth peer name veth_dst && "
			      "ip link set veth_src up && ip link set veth_dst up"), "veth"))
		return NULL;
	*src = if_nametoindex("veth_src");
	dst = if_nametoindex("veth_dst");
	skel = xdpq_sched__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return NULL;
	skel->bss->target_ifindex = *src;
	skel->links.xdp_record_rx = bpf_program__attach_xdp(skel->progs.xdp_record_rx, dst);
	if (!ASSERT_OK_PTR(skel->links.xdp_record_rx, "attach rx") ||
	    !ASSERT_OK(run_prog(skel->progs.xdp_sched_setup, *src, 1, false), "timers")) {
		xdpq_sched__destroy(skel);
		return NULL;
	}
	return skel;
}

static void sched_teardown(struct xdpq_sched *skel, struct nstoken *nstoken)
{
	xdpq_sched__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

static __u32 class_of(__u32 id)
{
	return (id * 2654435761U) >> 29;
}

#define PRIO_FRAMES 2000

static void test_strict_priority(void)
{
	struct nstoken *nstoken = NULL;
	struct xdpq_sched *skel;
	__u32 i, class, last = 0, inversions = 0;
	int src;

	skel = sched_setup(&nstoken, &src);
	if (!skel)
		goto out;
	/* A backlog of all classes, then the scheduler starts. */
	if (!ASSERT_OK(run_prog(skel->progs.xdp_prio_enqueue, src, PRIO_FRAMES, true), "enqueue") ||
	    !ASSERT_OK(run_prog(skel->progs.xdp_prio_start, src, 1, false), "start") ||
	    !ASSERT_TRUE(wait_rx(skel, PRIO_FRAMES, 10000), "all arrive"))
		goto out;
	for (i = 0; i < PRIO_FRAMES; i++) {
		class = class_of(skel->bss->rx_order[i]);
		inversions += class < last;
		last = class;
	}
	ASSERT_EQ(inversions, 0, "priority inversions");
	ASSERT_EQ(class_of(skel->bss->rx_order[0]), 0, "first class");
	ASSERT_EQ(class_of(skel->bss->rx_order[PRIO_FRAMES - 1]), 7, "last class");
	ASSERT_EQ(skel->bss->sent, PRIO_FRAMES, "sent");
	ASSERT_EQ(skel->bss->send_errors, 0, "send errors");
out:
	sched_teardown(skel, nstoken);
}

#define EDT_FRAMES 200
#define EDT_GAP_NS 1000000ULL		/* 1,000 frames a second */
#define EDT_LATE_NS 20000000ULL		/* TCG timer slack we accept */

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void test_edt_pacing(void)
{
	__u64 late[EDT_FRAMES], span;
	struct nstoken *nstoken = NULL;
	struct xdpq_sched *skel;
	__u32 i, early_rx = 0, reordered = 0;
	int src;

	skel = sched_setup(&nstoken, &src);
	if (!skel)
		goto out;
	skel->bss->edt_gap_ns = EDT_GAP_NS;
	if (!ASSERT_OK(run_prog(skel->progs.xdp_edt_enqueue, src, EDT_FRAMES, true), "enqueue") ||
	    !ASSERT_TRUE(wait_rx(skel, EDT_FRAMES, 10000), "all arrive"))
		goto out;

	for (i = 0; i < EDT_FRAMES; i++) {
		early_rx += skel->bss->rx_ns[i] < skel->bss->due_ns[i];
		reordered += skel->bss->rx_order[i] != i;
		late[i] = skel->bss->sent_ns[i] - skel->bss->due_ns[i];
	}
	ASSERT_EQ(skel->bss->early, 0, "sent early");
	ASSERT_EQ(early_rx, 0, "arrived early");
	ASSERT_EQ(reordered, 0, "departure order");
	/* Nothing left early, and the departure times span the whole train:
	 * together, the frames were paced, not sent in a burst.
	 */
	ASSERT_EQ(skel->bss->due_ns[EDT_FRAMES - 1] - skel->bss->due_ns[0],
		  (EDT_FRAMES - 1) * EDT_GAP_NS, "departure times");
	span = skel->bss->rx_ns[EDT_FRAMES - 1] - skel->bss->rx_ns[0];
	qsort(late, EDT_FRAMES, sizeof(late[0]), cmp_u64);
	ASSERT_LT(late[EDT_FRAMES * 9 / 10], EDT_LATE_NS, "90th percentile lateness");
	printf("%s: span %llu us for %d frames at %llu us; lateness median %llu us, p90 %llu us\n",
	       __func__, span / 1000, EDT_FRAMES, EDT_GAP_NS / 1000,
	       late[EDT_FRAMES / 2] / 1000, late[EDT_FRAMES * 9 / 10] / 1000);
out:
	sched_teardown(skel, nstoken);
}

void test_xdpq_sched(void)
{
	if (test__start_subtest("strict_priority"))
		test_strict_priority();
	if (test__start_subtest("edt_pacing"))
		test_edt_pacing();
}
