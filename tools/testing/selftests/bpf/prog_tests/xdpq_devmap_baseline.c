// SPDX-License-Identifier: GPL-2.0
/* The first xdpq test and the baseline later ones compare against: the
 * running kernel is the xdpq build, and frames redirected through a devmap
 * with BPF_PROG_RUN live frames all reach an XDP program on the veth peer.
 */
#include <sys/utsname.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_devmap_baseline.skel.h"

#define NS "xdpq_baseline"
#define BATCH 64
#define ROUNDS 100

struct xdpq_udp_frame {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	struct udphdr udp;
	__u8 payload[64];
} __packed;

static void test_kernel_is_xdpq(void)
{
	struct utsname uts;

	if (!ASSERT_OK(uname(&uts), "uname"))
		return;
	ASSERT_OK_PTR(strstr(uts.release, "-xdpq"), uts.release);
}

/* veth delivers redirected frames from its peer's NAPI, after prog_run has
 * returned: wait for them instead of sleeping a fixed time.
 */
static bool wait_frames_seen(struct xdpq_devmap_baseline *skel, __u64 want)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (READ_ONCE(skel->bss->frames_seen) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

static void test_devmap_forwarding(void)
{
	struct xdpq_udp_frame frame = {
		.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
		.ip6.version = 6,
		.ip6.nexthdr = IPPROTO_UDP,
		.ip6.payload_len = __bpf_constant_htons(sizeof(struct udphdr) + 64),
		.ip6.hop_limit = 1,
		.udp.len = __bpf_constant_htons(sizeof(struct udphdr) + 64),
		.payload = { 0x42 },
	};
	struct xdpq_devmap_baseline *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct xdp_md ctx_in = { .data_end = sizeof(frame) };

	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &frame,
		    .data_size_in = sizeof(frame),
		    .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .repeat = BATCH,
		    .batch_size = BATCH);
	int src, dst, key = 0, round, err;
	struct bpf_link *link;

	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	SYS(out, "ip link add veth_src type veth peer name veth_dst");
	SYS(out, "ip link set dev veth_src up");
	SYS(out, "ip link set dev veth_dst up");
	src = if_nametoindex("veth_src");
	dst = if_nametoindex("veth_dst");
	if (!ASSERT_NEQ(src, 0, "veth_src") || !ASSERT_NEQ(dst, 0, "veth_dst"))
		goto out;

	skel = xdpq_devmap_baseline__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		goto out;
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.tx_port), &key, &src, 0);
	if (!ASSERT_OK(err, "tx_port update"))
		goto out;
	/* An XDP program on the peer is what lets veth_src take redirects. */
	link = bpf_program__attach_xdp(skel->progs.xdp_count_drop, dst);
	if (!ASSERT_OK_PTR(link, "attach xdp_count_drop"))
		goto out;
	skel->links.xdp_count_drop = link;

	ctx_in.ingress_ifindex = src;
	for (round = 1; round <= ROUNDS; round++) {
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_redirect_devmap),
					     &opts);
		if (!ASSERT_OK(err, "prog_run"))
			goto out;
		if (!ASSERT_TRUE(wait_frames_seen(skel, (__u64)round * BATCH), "frames arrive"))
			break;
	}
	ASSERT_EQ(skel->bss->frames_seen, (__u64)ROUNDS * BATCH, "frames_seen");
out:
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
	xdpq_devmap_baseline__destroy(skel);
}

void test_xdpq_devmap_baseline(void)
{
	if (test__start_subtest("kernel_is_xdpq"))
		test_kernel_is_xdpq();
	if (test__start_subtest("devmap_forwarding"))
		test_devmap_forwarding();
}
