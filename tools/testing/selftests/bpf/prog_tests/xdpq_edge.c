// SPDX-License-Identifier: GPL-2.0
/* Hostile and unusual input to the XDP queue maps: every map creation
 * attribute of the three map types with the errno it must get; the memory
 * a map reports for what it allocates; queue maps inside map-in-maps; the smallest and largest frames; frames whose
 * headroom cannot hold the queue's bookkeeping; multi-buffer frames to
 * devices with and without scatter-gather transmission; and generic XDP,
 * which cannot queue. Every refused frame is counted by its reason.
 */
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_edge.skel.h"
#include "xdpq_tap.h"

#define NS "xdpq_edge"
#define ETH_MAX_FRAME (1500 + ETH_HLEN + 4)	/* veth accepts a VLAN tag */
#define JUMBO 5000

/* Attributes checked the same way for every queue map type. */
static const struct map_attr_case {
	const char *name;
	__u32 key_size, value_size, max_entries, map_flags, numa_node;
	int err;
} common_cases[] = {
	{ "valid", 4, 0, 1024, 0, 0, 0 },
	{ "max_entries", 4, 0, 1U << 24, 0, 0, 0 },
	{ "zero_entries", 4, 0, 0, 0, 0, -EINVAL },
	{ "huge_entries", 4, 0, (1U << 24) + 1, 0, 0, -E2BIG },
	{ "key_size_8", 8, 0, 1024, 0, 0, -EINVAL },
	{ "key_size_0", 0, 0, 1024, 0, 0, -EINVAL },
	{ "value_size_8", 4, 8, 1024, 0, 0, -EINVAL },
	{ "no_prealloc", 4, 0, 1024, BPF_F_NO_PREALLOC, 0, -EINVAL },
	{ "rdonly_prog", 4, 0, 1024, BPF_F_RDONLY_PROG, 0, -EINVAL },
	{ "wronly_prog", 4, 0, 1024, BPF_F_WRONLY_PROG, 0, -EINVAL },
	{ "mmapable", 4, 0, 1024, BPF_F_MMAPABLE, 0, -EINVAL },
	{ "inner_map_flag", 4, 0, 1024, BPF_F_INNER_MAP, 0, -EINVAL },
	{ "numa_node_0", 4, 0, 1024, BPF_F_NUMA_NODE, 0, 0 },
	{ "numa_node_absent", 4, 0, 1024, BPF_F_NUMA_NODE, 63, -EINVAL },
};

/* map_extra, whose meaning differs per type. */
static const struct map_extra_case {
	const char *name;
	enum bpf_map_type type;
	__u64 map_extra;
	int err;
} extra_cases[] = {
	{ "fifo_one_subq", BPF_MAP_TYPE_XDP_FIFO, 0, 0 },
	{ "fifo_max_subq", BPF_MAP_TYPE_XDP_FIFO, 65536, 0 },
	{ "fifo_too_many_subq", BPF_MAP_TYPE_XDP_FIFO, 65537, -E2BIG },
	{ "fifo_huge_subq", BPF_MAP_TYPE_XDP_FIFO, 1ULL << 32, -E2BIG },
	{ "pifo_one_bucket", BPF_MAP_TYPE_XDP_PIFO, 1, 0 },
	{ "pifo_max_buckets", BPF_MAP_TYPE_XDP_PIFO, 1 << 20, 0 },
	{ "pifo_no_buckets", BPF_MAP_TYPE_XDP_PIFO, 0, -EINVAL },
	{ "pifo_not_pow2", BPF_MAP_TYPE_XDP_PIFO, 100, -EINVAL },
	{ "pifo_too_many_buckets", BPF_MAP_TYPE_XDP_PIFO, 1 << 21, -E2BIG },
	{ "pifo_huge_buckets", BPF_MAP_TYPE_XDP_PIFO, 1ULL << 40, -E2BIG },
	{ "rbtree_zero", BPF_MAP_TYPE_XDP_RBTREE, 0, 0 },
	{ "rbtree_map_extra", BPF_MAP_TYPE_XDP_RBTREE, 1, -EINVAL },
};

static void check_create(const char *name, enum bpf_map_type type, __u32 key_size,
			 __u32 value_size, __u32 max_entries,
			 const struct bpf_map_create_opts *opts, int err)
{
	int fd = bpf_map_create(type, name, key_size, value_size, max_entries, opts);

	if (err)
		ASSERT_EQ(fd, err, name);
	else
		ASSERT_GE(fd, 0, name);
	if (fd >= 0)
		close(fd);
}

static void test_map_create(void)
{
	const struct {
		const char *prefix;
		enum bpf_map_type type;
		__u64 map_extra;	/* a valid one */
	} types[] = {
		{ "fifo", BPF_MAP_TYPE_XDP_FIFO, 0 },
		{ "pifo", BPF_MAP_TYPE_XDP_PIFO, 64 },
		{ "rbtree", BPF_MAP_TYPE_XDP_RBTREE, 0 },
	};
	const __u32 vsz = sizeof(struct bpf_xdp_queue_stats);
	char name[64];
	int t, i;

	for (t = 0; t < ARRAY_SIZE(types); t++) {
		for (i = 0; i < ARRAY_SIZE(common_cases); i++) {
			const struct map_attr_case *c = &common_cases[i];
			LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = c->map_flags,
				    .numa_node = c->numa_node, .map_extra = types[t].map_extra);

			snprintf(name, sizeof(name), "%s_%s", types[t].prefix, c->name);
			check_create(name, types[t].type, c->key_size, c->value_size ?: vsz,
				     c->max_entries, &opts, c->err);
		}
	}
	for (i = 0; i < ARRAY_SIZE(extra_cases); i++) {
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_extra = extra_cases[i].map_extra);

		check_create(extra_cases[i].name, extra_cases[i].type, 4, vsz, 1024, &opts,
			     extra_cases[i].err);
	}
}

/* The map's memory usage, as its fdinfo shows it; 0 if unreadable. */
static __u64 map_memlock(int fd)
{
	unsigned long long memlock = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &memlock) == 1)
			break;
	fclose(f);
	return memlock;
}

/* A PIFO and a FIFO map allocate a pointer slot for each of their
 * max_entries frames when they are created, and report them.
 */
static void test_memlock(void)
{
	const struct {
		const char *name;
		enum bpf_map_type type;
		__u64 map_extra;
		__u32 max_entries;
	} maps[] = {
		{ "pifo_small", BPF_MAP_TYPE_XDP_PIFO, 1024, 64 },
		{ "pifo_large", BPF_MAP_TYPE_XDP_PIFO, 1024, 65536 },
		{ "fifo_small", BPF_MAP_TYPE_XDP_FIFO, 0, 64 },
		{ "fifo_large", BPF_MAP_TYPE_XDP_FIFO, 0, 65536 },
	};
	__u64 mem[ARRAY_SIZE(maps)] = {};
	int i, fd;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_extra = maps[i].map_extra);

		fd = bpf_map_create(maps[i].type, maps[i].name, 4,
				    sizeof(struct bpf_xdp_queue_stats), maps[i].max_entries,
				    &opts);
		if (!ASSERT_GE(fd, 0, maps[i].name))
			return;
		mem[i] = map_memlock(fd);
		close(fd);
		ASSERT_GT(mem[i], 0, "memlock");
	}
	ASSERT_GE(mem[1] - mem[0], (65536 - 64) * sizeof(void *), "pifo slot per frame");
	ASSERT_GE(mem[3] - mem[2], (65536 - 64) * sizeof(void *), "fifo slot per frame");
}

static int queue_map_create(enum bpf_map_type type, __u64 map_extra)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_extra = map_extra);

	return bpf_map_create(type, "inner", 4, sizeof(struct bpf_xdp_queue_stats),
			      64, &opts);
}

/* Queue maps can be inner maps, like devmaps: an outer map takes queue
 * maps of its template's type, and no other.
 */
static void test_inner_map(void)
{
	int fifo = -1, fifo2 = -1, pifo = -1, outer = -1, key = 0;
	LIBBPF_OPTS(bpf_map_create_opts, opts);

	fifo = queue_map_create(BPF_MAP_TYPE_XDP_FIFO, 0);
	fifo2 = queue_map_create(BPF_MAP_TYPE_XDP_FIFO, 16);
	pifo = queue_map_create(BPF_MAP_TYPE_XDP_PIFO, 64);
	if (!ASSERT_GE(fifo, 0, "fifo") || !ASSERT_GE(fifo2, 0, "fifo2") ||
	    !ASSERT_GE(pifo, 0, "pifo"))
		goto out;
	opts.inner_map_fd = fifo;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "outer", 4, 4, 2, &opts);
	if (!ASSERT_GE(outer, 0, "outer with a FIFO template"))
		goto out;
	ASSERT_OK(bpf_map_update_elem(outer, &key, &fifo2, 0), "FIFO with other sub-queues");
	key = 1;
	ASSERT_EQ(bpf_map_update_elem(outer, &key, &pifo, 0), -EINVAL, "PIFO into FIFO outer");
out:
	close(outer);
	close(pifo);
	close(fifo2);
	close(fifo);
}

static struct xdpq_frame {
	struct ethhdr eth;
	__u8 payload[JUMBO - ETH_HLEN];
} __packed frame = {
	.eth.h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	.eth.h_source = { 0x02, 0, 0, 0, 0, 1 },
	.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
};

/* Queue n frames of len bytes through xdp_edge_enqueue, as live frames. */
static int offer(struct xdpq_edge *skel, __u32 len, int n)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = 1 };

	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &frame,
		    .data_size_in = len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_edge_enqueue), &opts);
}


static struct bpf_xdp_queue_stats queue_stats(struct xdpq_edge *skel)
{
	struct bpf_xdp_queue_stats st = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;

	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.edge_fifo), &key, &st), "stats");
	return st;
}

/* Send the whole queue to the target, waiting while it is full. */
static int send_all(struct xdpq_edge *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &frame,
		    .data_size_in = ETH_HLEN, .repeat = 1);
	int i, err = 0;

	for (i = 0; i < 1000 && !err && queue_stats(skel).depth; i++) {
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_edge_send_all),
					     &opts);
		usleep(1000);
	}
	return err;
}

static bool wait_rx(struct xdpq_edge *skel, __u64 want)
{
	int i;

	for (i = 0; i < 2000 && READ_ONCE(skel->bss->rx_frames) < want; i++)
		usleep(1000);
	return READ_ONCE(skel->bss->rx_frames) == want;
}

/* A netns with veth_tx -> veth_rx, xdp_edge_count_rx on veth_rx, and the
 * skeleton loaded with veth_tx as the target.
 */
static struct xdpq_edge *edge_setup(struct nstoken **nstoken, int mtu)
{
	struct xdpq_edge *skel;
	int rx;

	if (!ASSERT_OK(system("ip netns add " NS), "netns"))
		return NULL;
	*nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(*nstoken, "open_netns"))
		return NULL;
	if (!ASSERT_OK(system("ip link add veth_tx type veth peer name veth_rx"), "veth") ||
	    !ASSERT_OK(system("ip link set dev veth_tx up"), "veth_tx up") ||
	    !ASSERT_OK(system("ip link set dev veth_rx up"), "veth_rx up"))
		return NULL;
	if (mtu) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "ip link set dev veth_tx mtu %d && ip link set dev veth_rx mtu %d",
			 mtu, mtu);
		if (!ASSERT_OK(system(cmd), "mtu"))
			return NULL;
	}
	rx = if_nametoindex("veth_rx");
	skel = xdpq_edge__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return NULL;
	skel->bss->target_ifindex = if_nametoindex("veth_tx");
	skel->links.edge_redirect_err = bpf_program__attach(skel->progs.edge_redirect_err);
	if (!ASSERT_OK_PTR(skel->links.edge_redirect_err, "attach tracepoint")) {
		xdpq_edge__destroy(skel);
		return NULL;
	}
	skel->links.xdp_edge_count_rx = bpf_program__attach_xdp(skel->progs.xdp_edge_count_rx, rx);
	if (!ASSERT_OK_PTR(skel->links.xdp_edge_count_rx, "attach count_rx")) {
		xdpq_edge__destroy(skel);
		return NULL;
	}
	return skel;
}

static void edge_teardown(struct xdpq_edge *skel, struct nstoken *nstoken)
{
	xdpq_edge__destroy(skel);
	close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* The smallest frame (an Ethernet header) and the largest the target's
 * MTU allows are queued and arrive whole; one byte more, queued between
 * them, is refused by the target and counted as a failed send, by
 * xdp_packet_send() or, with bulk_send, by xdp_packet_dequeue_send(),
 * which sends the frame behind it all the same.
 */
static void test_frame_sizes(bool bulk_send)
{
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	struct xdpq_edge *skel;

	skel = edge_setup(&nstoken, 0);
	if (!skel)
		goto out;
	skel->bss->bulk_send = bulk_send;
	if (!ASSERT_OK(offer(skel, ETH_HLEN, 1), "offer min") ||
	    !ASSERT_OK(offer(skel, ETH_MAX_FRAME + 1, 1), "offer max + 1") ||
	    !ASSERT_OK(offer(skel, ETH_MAX_FRAME, 1), "offer max") ||
	    !ASSERT_OK(send_all(skel), "send_all"))
		goto out;
	if (bulk_send) {
		ASSERT_EQ(skel->bss->taken, 3, "taken");
		ASSERT_EQ(skel->bss->send_other, 0, "errors");
	} else {
		ASSERT_EQ(skel->bss->sent, 2, "sent");
		ASSERT_EQ(skel->bss->send_emsgsize, 1, "too large for the target");
	}
	ASSERT_TRUE(wait_rx(skel, 2), "received");
	ASSERT_EQ(skel->data->rx_min_len, ETH_HLEN, "smallest");
	ASSERT_EQ(skel->bss->rx_max_len, ETH_MAX_FRAME, "largest");
	st = queue_stats(skel);
	ASSERT_EQ(st.enqueued, 3, "enqueued");
	ASSERT_EQ(st.sent, 2, "sent counter");
	ASSERT_EQ(st.send_failed, 1, "send_failed counter");
	ASSERT_EQ(st.depth, 0, "depth");
out:
	edge_teardown(skel, nstoken);
}

/* A queued frame keeps struct xdpq_node in its headroom, above 32 bytes
 * (or the metadata, if larger) that a device may write its header into:
 * with live frames' 256 - 40 bytes of headroom after struct xdp_frame,
 * moving the start down by 136 bytes leaves exactly 48 + 32; 137 bytes do
 * not fit and the redirect fails with -ENOSPC, counted as drop_headroom.
 */
static void test_headroom(void)
{
	const struct {
		int head_grow, meta_len;
		bool fits;
	} cases[] = {
		{ 0, 32, true },
		{ 136, 0, true },
		{ 136, 32, true },
		{ 137, 0, false },
		{ 200, 0, false },
	};
	struct bpf_xdp_queue_stats st;
	struct xdpq_edge *skel;
	__u64 queued = 0, refused = 0;
	int i;

	skel = xdpq_edge__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	skel->links.edge_redirect_err = bpf_program__attach(skel->progs.edge_redirect_err);
	if (!ASSERT_OK_PTR(skel->links.edge_redirect_err, "attach tracepoint"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		skel->bss->head_grow = cases[i].head_grow;
		skel->bss->meta_len = cases[i].meta_len;
		if (!ASSERT_OK(offer(skel, 128, 1), "offer"))
			goto out;
		if (cases[i].fits)
			queued++;
		else
			refused++;
		st = queue_stats(skel);
		ASSERT_EQ(st.enqueued, queued, "enqueued");
		ASSERT_EQ(st.drop_headroom, refused, "drop_headroom");
	}
	ASSERT_EQ(skel->bss->enqueue_runs, ARRAY_SIZE(cases), "program runs");
	ASSERT_EQ(skel->bss->redirect_errors, refused, "redirect errors");
	ASSERT_EQ(skel->bss->last_redirect_err, -ENOSPC, "redirect errno");
out:
	xdpq_edge__destroy(skel);
}

/* Send one frame of len bytes out of veth_src through a packet socket. */
static int inject(const char *dev, __u32 len)
{
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_ifindex = if_nametoindex(dev),
		.sll_halen = ETH_ALEN,
	};
	int fd, err = 0;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &frame, len, 0, (void *)&addr, sizeof(addr)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static bool wait_enqueued(struct xdpq_edge *skel, __u64 want)
{
	int i;

	for (i = 0; i < 2000 && queue_stats(skel).enqueued < want; i++)
		usleep(1000);
	return queue_stats(skel).enqueued == want;
}

/* veth_src -> veth_dst, whose frags-aware program queues what arrives. */
static int veth_source(struct xdpq_edge *skel, int mtu, __u32 xdp_flags)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip link add veth_src mtu %d type veth peer name veth_dst mtu %d && ip link set dev veth_src up && ip link set dev veth_dst up",
		 mtu, mtu);
	if (!ASSERT_OK(system(cmd), "veth_src"))
		return -1;
	return bpf_xdp_attach(if_nametoindex("veth_dst"),
			      bpf_program__fd(skel->progs.xdp_edge_enqueue), xdp_flags, NULL);
}

/* A frame larger than a page becomes a multi-buffer xdp_frame on veth. It
 * is queued like any other, and sent whole to a device that transmits
 * multi-buffer frames (a veth whose peer runs a frags-aware program); a
 * tap cannot, and the send fails with -EOPNOTSUPP, counted: the tap's
 * MTU fits the frame, only its fragments keep it out. With
 * bulk_send, xdp_packet_dequeue_send() takes it both times and drops it
 * for the tap, counted the same.
 */
static void test_multi_buffer(bool bulk_send)
{
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	struct xdpq_edge *skel;
	int tap = -1;

	skel = edge_setup(&nstoken, 9000);
	if (!skel)
		goto out;
	if (!ASSERT_OK(veth_source(skel, 9000, XDP_FLAGS_DRV_MODE), "attach enqueue"))
		goto out;
	skel->bss->bulk_send = bulk_send;
	tap = xdpq_open_tap("tap_nosg");
	if (!ASSERT_GE(tap, 0, "tap") || !ASSERT_OK(system("ip link set dev tap_nosg mtu 9000 up"), "up"))
		goto out;

	if (!ASSERT_OK(inject("veth_src", JUMBO), "inject"))
		goto out;
	if (!ASSERT_TRUE(wait_enqueued(skel, 1), "queued") || !ASSERT_OK(send_all(skel), "send"))
		goto out;
	ASSERT_EQ(bulk_send ? skel->bss->taken : skel->bss->sent, 1, "sent to veth");
	ASSERT_TRUE(wait_rx(skel, 1), "received");
	ASSERT_EQ(skel->bss->rx_max_len, JUMBO, "received whole");
	ASSERT_EQ(queue_stats(skel).send_failed, 0, "no send failed");

	skel->bss->target_ifindex = if_nametoindex("tap_nosg");
	if (!ASSERT_OK(inject("veth_src", JUMBO), "inject") ||
	    !ASSERT_TRUE(wait_enqueued(skel, 2), "queued") || !ASSERT_OK(send_all(skel), "send"))
		goto out;
	if (bulk_send)
		ASSERT_EQ(skel->bss->taken, 2, "taken for the tap");
	else
		ASSERT_EQ(skel->bss->send_eopnotsupp, 1, "tap refuses multi-buffer");
	st = queue_stats(skel);
	ASSERT_EQ(st.send_failed, 1, "send_failed counter");
	ASSERT_EQ(st.depth, 0, "depth");
out:
	if (tap >= 0)
		close(tap);
	edge_teardown(skel, nstoken);
}

/* Generic XDP has skbs, not xdp_frames: the redirect fails with
 * -EOPNOTSUPP on the xdp_redirect_map_err tracepoint and the map sees
 * nothing.
 */
static void test_generic_xdp(void)
{
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	struct xdpq_edge *skel;
	int i;

	skel = edge_setup(&nstoken, 0);
	if (!skel)
		goto out;
	if (!ASSERT_OK(veth_source(skel, 1500, XDP_FLAGS_SKB_MODE), "attach generic"))
		goto out;
	for (i = 0; i < 10; i++)
		if (!ASSERT_OK(inject("veth_src", 128), "inject"))
			goto out;
	for (i = 0; i < 2000 && READ_ONCE(skel->bss->redirect_errors) < 10; i++)
		usleep(1000);
	ASSERT_EQ(skel->bss->enqueue_runs, 10, "program runs");
	ASSERT_EQ(skel->bss->redirect_errors, 10, "redirect errors");
	ASSERT_EQ(skel->bss->last_redirect_err, -EOPNOTSUPP, "redirect errno");
	st = queue_stats(skel);
	ASSERT_EQ(st.enqueued + st.drop_full + st.drop_range + st.drop_headroom, 0,
		  "nothing reached the map");
out:
	edge_teardown(skel, nstoken);
}

void test_xdpq_edge(void)
{
	if (test__start_subtest("map_create"))
		test_map_create();
	if (test__start_subtest("memlock"))
		test_memlock();
	if (test__start_subtest("inner_map"))
		test_inner_map();
	if (test__start_subtest("frame_sizes"))
		test_frame_sizes(false);
	if (test__start_subtest("frame_sizes_bulk"))
		test_frame_sizes(true);
	if (test__start_subtest("headroom"))
		test_headroom();
	if (test__start_subtest("multi_buffer"))
		test_multi_buffer(false);
	if (test__start_subtest("multi_buffer_bulk"))
		test_multi_buffer(true);
	if (test__start_subtest("generic_xdp"))
		test_generic_xdp();
}
