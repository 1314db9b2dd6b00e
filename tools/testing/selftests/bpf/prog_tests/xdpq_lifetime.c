// SPDX-License-Identifier: GPL-2.0
/* Lifetimes of queued frames: destroying a queue map returns every frame
 * it holds exactly once; a target device deleted while frames wait for
 * it turns their sends into counted failures; a queue that outlives its
 * netns can no longer send into it.
 */
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_fifo.skel.h"

#define NS "xdpq_lifetime"
#define FRAMES 200

/* Count the test frames given back by xdp_return_frame(), from a second
 * instance of the programs that outlives the queue under test.
 */
static struct xdpq_fifo *count_returns(void)
{
	struct xdpq_fifo *counter;

	counter = xdpq_fifo__open_and_load();
	if (!ASSERT_OK_PTR(counter, "counter"))
		return NULL;
	counter->links.count_frame_return =
		bpf_program__attach(counter->progs.count_frame_return);
	if (!ASSERT_OK_PTR(counter->links.count_frame_return, "attach counter")) {
		xdpq_fifo__destroy(counter);
		return NULL;
	}
	return counter;
}

static __u64 wait_returned(struct xdpq_fifo *counter, __u64 want)
{
	int i;

	for (i = 0; i < 500 && counter->bss->test_frames_returned < want; i++)
		usleep(10000);
	usleep(10000);	/* one more would be a double free */
	return counter->bss->test_frames_returned;
}

static struct xdpq_udp_frame {
	struct ethhdr eth;
	__u8 ip6_udp[48];
	__u32 seq;
	__u8 pad[60];
} __packed frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, 1 },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
};

/* Send n frames out of ifindex through a packet socket: veth_dst receives
 * them as skbs, and its XDP program queues them as xdp_frames.
 */
static int inject(int ifindex, int n)
{
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
	};
	int fd, i, err = 0;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n && !err; i++)
		if (sendto(fd, &frame, sizeof(frame), 0, (void *)&addr, sizeof(addr)) < 0)
			err = -errno;
	close(fd);
	return err;
}

static __u64 queue_depth(struct xdpq_fifo *skel)
{
	struct bpf_xdp_queue_stats st = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.fifo), &key, &st);
	return st.depth;
}

static bool wait_depth(struct xdpq_fifo *skel, __u64 want)
{
	int i;

	for (i = 0; i < 2000 && queue_depth(skel) != want; i++)
		usleep(1000);
	return queue_depth(skel) == want;
}

/* veth_src -> veth_dst, whose XDP program queues every test frame in the
 * map.
 */
static struct xdpq_fifo *queue_from_veth(int *src, int *dst)
{
	struct xdpq_fifo *skel;

	if (system("ip link add veth_src type veth peer name veth_dst") ||
	    system("ip link set dev veth_src up") ||
	    system("ip link set dev veth_dst up"))
		return NULL;
	*src = if_nametoindex("veth_src");
	*dst = if_nametoindex("veth_dst");
	skel = xdpq_fifo__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return NULL;
	skel->links.xdp_enqueue_seq = bpf_program__attach_xdp(skel->progs.xdp_enqueue_seq, *dst);
	if (!ASSERT_OK_PTR(skel->links.xdp_enqueue_seq, "attach") ||
	    !ASSERT_OK(inject(*src, FRAMES), "inject") ||
	    !ASSERT_TRUE(wait_depth(skel, FRAMES), "frames queued")) {
		xdpq_fifo__destroy(skel);
		return NULL;
	}
	return skel;
}

static void test_map_free_returns_frames(void)
{
	struct xdpq_fifo *skel, *counter = NULL;
	struct nstoken *nstoken = NULL;
	int src, dst;

	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	skel = queue_from_veth(&src, &dst);
	if (!skel)
		goto out;
	/* The queued frames hold their pages until the map goes away with
	 * them, and then each comes back exactly once.
	 */
	counter = count_returns();
	if (!counter) {
		xdpq_fifo__destroy(skel);
		goto out;
	}
	ASSERT_EQ(counter->bss->test_frames_returned, 0, "returned while queued");
	xdpq_fifo__destroy(skel);
	ASSERT_EQ(wait_returned(counter, FRAMES), FRAMES, "returned by map free");
out:
	xdpq_fifo__destroy(counter);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

static void test_target_deleted(void)
{
	struct bpf_xdp_queue_stats st = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;
	struct nstoken *nstoken = NULL;
	struct xdpq_fifo *skel = NULL, *counter = NULL;
	int src, dst, tgt;

	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	SYS(out, "ip link add veth_tx type veth peer name veth_txp");
	tgt = if_nametoindex("veth_tx");
	skel = queue_from_veth(&src, &dst);
	if (!skel)
		goto out;
	skel->bss->target_ifindex = tgt;
	counter = count_returns();
	if (!counter)
		goto out;
	SYS(out, "ip link del veth_tx");

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_send_all), &opts),
		       "send_all"))
		goto out;
	ASSERT_EQ(skel->bss->send_all_err, FRAMES, "failed sends");
	ASSERT_EQ(skel->bss->send_all_last_err, -ENODEV, "send errno");
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.fifo), &key, &st), "stats");
	ASSERT_EQ(st.send_failed, FRAMES, "send_failed counted");
	ASSERT_EQ(st.depth, 0, "depth");
	ASSERT_EQ(wait_returned(counter, FRAMES), FRAMES, "returned by failed sends");
out:
	xdpq_fifo__destroy(counter);
	xdpq_fifo__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* The queue map outlives the netns its frames came from and its devices
 * lived in: sends into it fail and are counted, and nothing is left for the
 * map to free (the debug kernel's kmemleak scan checks the rest).
 */
static void test_netns_deleted(void)
{
	struct nstoken *nstoken = NULL;
	struct xdpq_fifo *skel = NULL;
	int src, dst;

	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	skel = queue_from_veth(&src, &dst);
	if (!skel)
		goto out;
	skel->bss->target_ifindex = src;
	close_netns(nstoken);
	nstoken = NULL;
	SYS(out, "ip netns del " NS);

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_send_all), &opts),
		       "send_all"))
		goto out;
	ASSERT_EQ(skel->bss->send_all_ok + skel->bss->send_all_err, FRAMES, "all dequeued");
	ASSERT_EQ(skel->bss->send_all_ok, 0, "nothing sent into a dead netns");
	ASSERT_EQ(skel->bss->send_all_last_err, -ENETUNREACH, "send errno");
out:
	xdpq_fifo__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

void test_xdpq_lifetime(void)
{
	if (test__start_subtest("map_free_returns_frames"))
		test_map_free_returns_frames();
	if (test__start_subtest("target_deleted"))
		test_target_deleted();
	if (test__start_subtest("netns_deleted"))
		test_netns_deleted();
}
