// SPDX-License-Identifier: GPL-2.0
/* The example schedulers of samples/bpf, each held to its defining
 * property: strict priority orders by class, WFQ shares by weight, DRR
 * shares bytes equally between flows of different frame sizes, FQ-CoDel
 * drops under a standing queue and not without one, EDT paces a VM at
 * its rate, the hierarchy keeps a VM's rate while another VM stalls, and
 * the FIFO forwarder waits for its egress device and keeps the order.
 * The target is a tap whose reader can pause, so that a backlog forms in
 * the scheduler's queue, not in the tap.
 */
#include <time.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_sched_prio.skel.h"
#include "xdpq_sched_wfq.skel.h"
#include "xdpq_sched_drr.skel.h"
#include "xdpq_sched_fq_codel.skel.h"
#include "xdpq_sched_edt.skel.h"
#include "xdpq_sched_hier.skel.h"
#include "xdpq_sched_fifo_fwd.skel.h"
#include "xdpq_tap.h"
#include "../../../../../samples/bpf/xdpq_sched_vm.h"

#define NS "xdpq_sched"
#define TAP "xdpq_tap"

static const __u8 vm_mac[][ETH_ALEN] = {
	{ 0x02, 0, 0, 0, 0x10, 0x00 },
	{ 0x02, 0, 0, 0, 0x10, 0x01 },
	{ 0x02, 0, 0, 0, 0x10, 0x02 },
};

struct test_frame {
	__u8 dscp;
	__u16 dport;
	__u8 vm;		/* destination MAC vm_mac[vm] */
	__u32 tag;		/* what the tap reader records */
	unsigned int len;
};

/* Offer repeat copies of a frame to prog: Ethernet, IPv6, UDP, a sequence
 * number, then the tag at XDPQ_TAP_TAG_OFF.
 */
static int offer(struct bpf_program *prog, int ifindex, const struct test_frame *f,
		 int repeat)
{
	static __u8 data[1500];
	struct xdp_md ctx = { .data_end = f->len, .ingress_ifindex = ifindex };
	struct ethhdr *eth = (void *)data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip6 + 1);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = data,
		    .data_size_in = f->len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat,
		    .batch_size = 64,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	memset(data, 0, sizeof(data));
	memcpy(eth->h_dest, vm_mac[f->vm], ETH_ALEN);
	memcpy(eth->h_source, (__u8[]){ 0x02, 0, 0, 0, 0, 0x01 }, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);
	ip6->version = 6;
	ip6->priority = f->dscp >> 2;
	ip6->flow_lbl[0] = (f->dscp & 3) << 6;
	ip6->payload_len = htons(f->len - sizeof(*eth) - sizeof(*ip6));
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 64;
	udp->source = htons(4000);
	udp->dest = htons(f->dport);
	memcpy(data + XDPQ_TAP_TAG_OFF, &f->tag, sizeof(f->tag));
	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static int init_timer(struct bpf_program *init)
{
	__u8 data[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = sizeof(data));

	return bpf_prog_test_run_opts(bpf_program__fd(init), &opts) ?: opts.retval != XDP_PASS;
}

/* Open a scheduler's skeleton, set its target, load it and set up its
 * timer; false, with the failed step asserted, if any step fails.
 */
#define sched_load(skel, name, target)					\
	({								\
		(skel) = name##__open();				\
		ASSERT_OK_PTR(skel, "open") &&				\
		((skel)->rodata->target_ifindex = (target), true) &&	\
		ASSERT_OK(name##__load(skel), "load") &&		\
		ASSERT_OK(init_timer((skel)->progs.xdpq_init), "init");	\
	})

/* The statistics of sub-queue key of map, BPF_XDP_QUEUE_TOTAL for all. */
static struct bpf_xdp_queue_stats subq_stats(struct bpf_map *map, __u32 key)
{
	struct bpf_xdp_queue_stats st = {};

	bpf_map_lookup_elem(bpf_map__fd(map), &key, &st);
	return st;
}

static struct bpf_xdp_queue_stats queue_stats(struct bpf_map *map)
{
	return subq_stats(map, BPF_XDP_QUEUE_TOTAL);
}

static bool wait_frames(struct xdpq_tap_reader *r, __u64 want, int ms)
{
	while (ms-- > 0 && READ_ONCE(r->frames) < want)
		usleep(1000);
	return READ_ONCE(r->frames) >= want;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A netns with a tap, read by r, which starts paused if paused. */
static int tap_up(struct nstoken **nstoken, struct xdpq_tap_reader *r, bool paused)
{
	r->fd = -1;
	r->paused = paused;
	if (!ASSERT_OK(system("ip netns add " NS), "netns"))
		return -1;
	*nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(*nstoken, "open_netns") ||
	    !ASSERT_OK(xdpq_tap_start(r, TAP), "tap") ||
	    !ASSERT_OK(system("ip link set dev " TAP " up"), "tap up"))
		return -1;
	return if_nametoindex(TAP);
}

static void tap_down(struct nstoken *nstoken, struct xdpq_tap_reader *r)
{
	xdpq_tap_stop(r);
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

static void vm_add(struct bpf_map *vm_by_mac, struct bpf_map *vm_slots, __u32 vm)
{
	ASSERT_OK(xdpq_vm_add(bpf_map__fd(vm_by_mac), bpf_map__fd(vm_slots), vm_mac[vm], vm),
		  "xdpq_vm_add");
}

static int vm_set(struct bpf_map *vms, __u32 vm, const void *value)
{
	return bpf_map_update_elem(bpf_map__fd(vms), &vm, value, 0);
}

/* Run xdpq_hier's xdpq_enqueue once (not live: nothing is queued) on a
 * frame to dst; the VM it counted the frame for, 0 if none, -1 on error.
 */
static int classify(struct xdpq_sched_hier *skel, const __u8 *dst)
{
	struct hier_vm_state st;
	__u8 frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame));
	__u32 vm;

	memcpy(frame, dst, ETH_ALEN);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdpq_enqueue), &opts))
		return -1;
	for (vm = 1; vm < 4; vm++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.vm_state), &vm, &st))
			return -1;
		if (st.queued) {
			st.queued = 0;
			bpf_map_update_elem(bpf_map__fd(skel->maps.vm_state), &vm, &st, 0);
			return opts.retval == XDP_REDIRECT ? vm : -1;
		}
	}
	return opts.retval == XDP_PASS ? 0 : -1;
}

/* The slot of vm_slots for last byte idx: the VM it holds + 1, 0 if none. */
static int slot_vm1(struct xdpq_sched_hier *skel, __u32 idx, const __u8 *mac)
{
	union xdpq_vm_slot slot;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.vm_slots), &idx, &slot))
		return -1;
	return !slot.vm1 || !memcmp(slot.addr, mac, ETH_ALEN) ? slot.vm1 : -1;
}

/* xdpq_vm(): a VM is found through its slot of vm_slots, through vm_by_mac
 * when another VM's address holds the slot or when user space filled
 * vm_by_mac alone, and an address of no VM falls to VM 0; a VM's new
 * index replaces the old one in its slot. The slot is read first: an
 * address that is only in a slot is found too.
 */
static void test_vm_lookup(void)
{
	static const __u8 mac[][ETH_ALEN] = {
		{ 0x02, 0, 0, 0, 0x10, 0x01 },	/* VM 1, slot 1 */
		{ 0x02, 0, 0, 0, 0x20, 0x01 },	/* VM 2: slot 1 is VM 1's */
		{ 0x02, 0, 0, 0, 0x10, 0x03 },	/* VM 3, slot 3 */
		{ 0x02, 0, 0, 0, 0x30, 0x01 },	/* no VM, slot 1 is VM 1's */
		{ 0x02, 0, 0, 0, 0x10, 0x04 },	/* VM 2 too, vm_by_mac only */
		{ 0x02, 0, 0, 0, 0x10, 0x05 },	/* VM 1 in slot 5 only */
	};
	union xdpq_vm_slot slot = { .vm1 = 2 };
	struct hier_vm_cfg cfg = { .ifindex = 1 };
	struct xdpq_sched_hier *skel = NULL;
	struct xdpq_mac key;
	__u32 vm;
	int fd;

	if (!sched_load(skel, xdpq_sched_hier, 0))
		goto out;
	for (vm = 1; vm <= 3; vm++) {
		if (!ASSERT_OK(vm_set(skel->maps.vm_cfg, vm, &cfg), "vm_cfg") ||
		    !ASSERT_OK(xdpq_vm_add(bpf_map__fd(skel->maps.vm_by_mac),
					   bpf_map__fd(skel->maps.vm_slots), mac[vm - 1], vm),
			       "xdpq_vm_add"))
			goto out;
	}
	key = xdpq_mac(mac[4]);
	vm = 2;
	fd = bpf_map__fd(skel->maps.vm_by_mac);
	if (!ASSERT_OK(bpf_map_update_elem(fd, &key, &vm, 0), "vm_by_mac only"))
		goto out;
	memcpy(slot.addr, mac[5], ETH_ALEN);
	vm = 5;
	fd = bpf_map__fd(skel->maps.vm_slots);
	if (!ASSERT_OK(bpf_map_update_elem(fd, &vm, &slot, 0), "slot only"))
		goto out;

	ASSERT_EQ(slot_vm1(skel, 1, mac[0]), 2, "slot 1 holds VM 1");
	ASSERT_EQ(slot_vm1(skel, 3, mac[2]), 4, "slot 3 holds VM 3");
	ASSERT_EQ(slot_vm1(skel, 4, mac[4]), 0, "slot 4 empty");
	ASSERT_EQ(classify(skel, mac[0]), 1, "VM 1 by its slot");
	ASSERT_EQ(classify(skel, mac[1]), 2, "VM 2 by vm_by_mac");
	ASSERT_EQ(classify(skel, mac[2]), 3, "VM 3 by its slot");
	ASSERT_EQ(classify(skel, mac[3]), 0, "no VM");
	ASSERT_EQ(classify(skel, mac[4]), 2, "VM 2 by vm_by_mac alone");
	ASSERT_EQ(classify(skel, mac[5]), 1, "VM 1 by slot 5 alone");

	if (!ASSERT_OK(xdpq_vm_add(bpf_map__fd(skel->maps.vm_by_mac),
				   bpf_map__fd(skel->maps.vm_slots), mac[0], 3), "VM 1 becomes 3"))
		goto out;
	ASSERT_EQ(slot_vm1(skel, 1, mac[0]), 4, "slot 1 holds VM 3");
	ASSERT_EQ(classify(skel, mac[0]), 3, "VM 3 by slot 1");
out:
	xdpq_sched_hier__destroy(skel);
}

/* Let the backlog form while the reader is paused; return how many frames
 * the scheduler sent before it stopped at the tap's limit.
 */
static __u64 backlog_formed(struct bpf_map *queue, __u64 *runs)
{
	__u64 sent, runs_blocked;

	usleep(200000);
	sent = queue_stats(queue).sent;
	runs_blocked = READ_ONCE(*runs);
	usleep(200000);
	ASSERT_EQ(READ_ONCE(*runs), runs_blocked, "no timer runs while the tap is full");
	ASSERT_EQ(queue_stats(queue).sent, sent, "nothing sent while the tap is full");
	return sent;
}

static void check_drained(struct bpf_map *queue, __u64 offered, __u64 dropped)
{
	struct bpf_xdp_queue_stats st = queue_stats(queue);

	ASSERT_EQ(st.enqueued, offered, "enqueued");
	ASSERT_EQ(st.sent + st.dropped, offered, "sent + dropped");
	ASSERT_EQ(st.dropped, dropped, "dropped by the scheduler");
	ASSERT_EQ(st.depth, 0, "queue drained");
}

#define PRIO_EACH 200

/* Frames of four classes queue up behind a paused tap; once it reads
 * again, they leave class by class, highest first.
 */
static void test_prio(void)
{
	static const __u8 dscp[] = { 8, 0, 40, 56 };	/* CS1, CS0, CS5, CS7 */
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct xdpq_sched_prio *skel = NULL;
	struct nstoken *nstoken = NULL;
	int tap, i, total = 4 * PRIO_EACH;
	__u64 before;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, true);
	if (tap < 0)
		goto out;
	if (!sched_load(skel, xdpq_sched_prio, tap))
		goto out;

	for (i = 0; i < ARRAY_SIZE(dscp); i++) {
		struct test_frame f = { .dscp = dscp[i], .tag = dscp[i] >> 3, .len = 128 };

		if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &f, PRIO_EACH), "offer"))
			goto out;
	}
	before = backlog_formed(skel->maps.prio_queue, &skel->bss->xdpq_runs);
	ASSERT_LT(before, PRIO_EACH, "backlog");

	WRITE_ONCE(r->paused, false);
	if (!ASSERT_TRUE(wait_frames(r, total, 20000), "all read"))
		goto out;
	for (i = before + 1; i < total; i++)
		if (!ASSERT_LE(r->tags[i], r->tags[i - 1], "class order"))
			break;
	check_drained(skel->maps.prio_queue, total, 0);
out:
	xdpq_sched_prio__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

#define WFQ_EACH 600
#define WFQ_WINDOW 400

/* Two VMs with weights 1 and 3, both backlogged: the heavier one gets
 * three quarters of the frames, although the lighter one queued first.
 */
static void test_wfq(void)
{
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct wfq_vm light = { .weight = 1 }, heavy = { .weight = 3 };
	struct xdpq_sched_wfq *skel = NULL;
	struct nstoken *nstoken = NULL;
	int tap, i, n[3] = {};
	__u64 before;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, true);
	if (tap < 0)
		goto out;
	if (!sched_load(skel, xdpq_sched_wfq, tap))
		goto out;
	vm_add(skel->maps.vm_by_mac, skel->maps.vm_slots, 1);
	vm_add(skel->maps.vm_by_mac, skel->maps.vm_slots, 2);
	if (!ASSERT_OK(vm_set(skel->maps.vms, 1, &light), "weight 1") ||
	    !ASSERT_OK(vm_set(skel->maps.vms, 2, &heavy), "weight 3"))
		goto out;

	for (i = 1; i <= 2; i++) {
		struct test_frame f = { .vm = i, .tag = i, .len = 128 };

		if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &f, WFQ_EACH), "offer"))
			goto out;
	}
	before = backlog_formed(skel->maps.wfq_queue, &skel->bss->xdpq_runs);
	ASSERT_LT(before, WFQ_EACH, "backlog");

	WRITE_ONCE(r->paused, false);
	if (!ASSERT_TRUE(wait_frames(r, 2 * WFQ_EACH, 20000), "all read"))
		goto out;
	for (i = before; i < before + WFQ_WINDOW; i++)
		n[r->tags[i] % 3]++;
	ASSERT_EQ(n[0], 0, "other frames");
	ASSERT_GE(n[2] * 10, n[1] * 27, "share of weight 3 >= 2.7x weight 1");
	ASSERT_LE(n[2] * 10, n[1] * 33, "share of weight 3 <= 3.3x weight 1");
	printf("%s: of %d frames while both were backlogged, weight 1 got %d, weight 3 got %d\n",
	       __func__, WFQ_WINDOW, n[1], n[2]);
	check_drained(skel->maps.wfq_queue, 2 * WFQ_EACH, 0);
out:
	xdpq_sched_wfq__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

#define DRR_BIG 1000
#define DRR_SMALL 100
#define DRR_BIG_N 300
#define DRR_SMALL_N 1500

/* Two flows, of 1000 and of 100 byte frames, both backlogged: they get
 * the same bytes, so the small flow ten times the frames.
 */
static void test_drr(void)
{
	struct test_frame big = { .dport = 1000, .tag = 1, .len = DRR_BIG };
	struct test_frame small = { .dport = 2000, .tag = 2, .len = DRR_SMALL };
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct xdpq_sched_drr *skel = NULL;
	struct nstoken *nstoken = NULL;
	__u64 before, bytes[3] = {};
	int tap, i;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, true);
	if (tap < 0)
		goto out;
	if (!sched_load(skel, xdpq_sched_drr, tap))
		goto out;

	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &big, DRR_BIG_N), "offer big") ||
	    !ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &small, DRR_SMALL_N), "offer small"))
		goto out;
	before = backlog_formed(skel->maps.drr_queue, &skel->bss->xdpq_runs);
	ASSERT_LT(before, DRR_BIG_N, "backlog");

	WRITE_ONCE(r->paused, false);
	if (!ASSERT_TRUE(wait_frames(r, DRR_BIG_N + DRR_SMALL_N, 20000), "all read"))
		goto out;
	/* Until the big flow has sent 100 frames more, both are backlogged. */
	for (i = before; bytes[1] < 100 * DRR_BIG; i++)
		bytes[r->tags[i] % 3] += r->tags[i] == 1 ? DRR_BIG : DRR_SMALL;
	ASSERT_EQ(bytes[0], 0, "other frames");
	ASSERT_GE(bytes[2] * 100, bytes[1] * 85, "small flow bytes >= 0.85x");
	ASSERT_LE(bytes[2] * 100, bytes[1] * 115, "small flow bytes <= 1.15x");
	printf("%s: while both were backlogged: %llu bytes in %d byte frames, %llu in %d byte frames\n",
	       __func__, bytes[1], DRR_BIG, bytes[2], DRR_SMALL);
	check_drained(skel->maps.drr_queue, DRR_BIG_N + DRR_SMALL_N, 0);
out:
	xdpq_sched_drr__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

#define CODEL_ROUNDS 20
#define CODEL_ROUND 50
#define CODEL_STANDING 1500

/* A queue that drains between bursts is left alone; a standing queue,
 * behind a reader slower than the offered load, loses frames to CoDel.
 */
static void test_fq_codel(void)
{
	struct test_frame f = { .dport = 1000, .tag = 1, .len = 128 };
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct xdpq_sched_fq_codel *skel = NULL;
	struct nstoken *nstoken = NULL;
	__u64 offered, dropped;
	int tap, i;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, false);
	if (tap < 0)
		goto out;
	if (!sched_load(skel, xdpq_sched_fq_codel, tap))
		goto out;

	for (i = 0; i < CODEL_ROUNDS; i++) {
		if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &f, CODEL_ROUND), "offer"))
			goto out;
		usleep(20000);
	}
	offered = CODEL_ROUNDS * CODEL_ROUND;
	if (!ASSERT_TRUE(wait_frames(r, offered, 10000), "bursts read"))
		goto out;
	ASSERT_EQ(skel->bss->drr_dropped, 0, "no drops without a standing queue");

	WRITE_ONCE(r->delay_us, 2000);
	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &f, CODEL_STANDING), "standing"))
		goto out;
	offered += CODEL_STANDING;
	for (i = 0; i < 1000 && queue_stats(skel->maps.drr_queue).depth; i++)
		usleep(10000);
	dropped = skel->bss->drr_dropped;
	ASSERT_GT(dropped, 0, "drops under a standing queue");
	ASSERT_LT(dropped, CODEL_STANDING / 2, "most frames still delivered");
	WRITE_ONCE(r->delay_us, 0);
	ASSERT_TRUE(wait_frames(r, offered - dropped, 10000), "the rest read");
	printf("%s: %d frames in bursts: 0 dropped; %d behind a slow reader: %llu dropped\n",
	       __func__, CODEL_ROUNDS * CODEL_ROUND, CODEL_STANDING, dropped);
	check_drained(skel->maps.drr_queue, offered, dropped);
out:
	xdpq_sched_fq_codel__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

#define FWD_FRAMES 200	/* more than three of the forwarder's runs */

static bool wait_depth(struct bpf_map *queue, __u64 want, int ms)
{
	while (ms-- > 0 && queue_stats(queue).depth != want)
		usleep(1000);
	return queue_stats(queue).depth == want;
}

/* Offer FWD_FRAMES frames tagged from tag on */
static int offer_tagged(struct bpf_program *prog, int ifindex, __u32 tag)
{
	int i, err = 0;

	for (i = 0; i < FWD_FRAMES && !err; i++) {
		struct test_frame f = { .tag = tag + i, .len = 128 };

		err = offer(prog, ifindex, &f, 1);
	}
	return err;
}

/* xdpq_fifo_fwd waits for a device it cannot send to: frames queued while
 * the egress device does not exist stay queued. Once it names a device,
 * the next retry takes them, a run of the forwarder's budget starting the
 * next: with the device down, all are dropped as send_failed. Once it is
 * up, frames leave in the order they came.
 */
static void test_fifo_fwd(void)
{
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct xdpq_sched_fifo_fwd *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct bpf_xdp_queue_stats st;
	int tap, i;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, false);
	if (tap < 0)
		goto out;
	skel = xdpq_sched_fifo_fwd__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load"))
		goto out;
	/* egress_ifindex is 0, no device's */
	if (!ASSERT_OK(init_timer(skel->progs.xdp_fifo_timer_init), "init") ||
	    !ASSERT_OK(offer_tagged(skel->progs.xdp_fifo_enqueue, tap, 0), "offer"))
		goto out;
	usleep(300000);
	st = queue_stats(skel->maps.fifo);
	ASSERT_EQ(st.depth, FWD_FRAMES, "queued while there is no device");
	ASSERT_EQ(st.sent + st.send_failed, 0, "none taken");

	if (!ASSERT_OK(system("ip link set dev " TAP " down"), "tap down"))
		goto out;
	WRITE_ONCE(skel->bss->egress_ifindex, tap);
	ASSERT_TRUE(wait_depth(skel->maps.fifo, 0, 5000), "taken at the retry");
	st = queue_stats(skel->maps.fifo);
	ASSERT_EQ(st.send_failed, FWD_FRAMES, "all dropped, the device is down");

	if (!ASSERT_OK(system("ip link set dev " TAP " up"), "tap up") ||
	    !ASSERT_OK(offer_tagged(skel->progs.xdp_fifo_enqueue, tap, FWD_FRAMES), "offer"))
		goto out;
	if (!ASSERT_TRUE(wait_frames(r, FWD_FRAMES, 20000), "all read"))
		goto out;
	for (i = 0; i < FWD_FRAMES; i++)
		if (!ASSERT_EQ(r->tags[i], FWD_FRAMES + i, "in order"))
			break;
	st = queue_stats(skel->maps.fifo);
	ASSERT_EQ(st.enqueued, 2 * FWD_FRAMES, "enqueued");
	ASSERT_EQ(st.sent, FWD_FRAMES, "sent");
	ASSERT_EQ(st.send_failed, FWD_FRAMES, "send_failed");
	ASSERT_EQ(st.depth, 0, "queue drained");
out:
	xdpq_sched_fifo_fwd__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

#define EDT_FRAME 128
#define EDT_PPS 500
#define EDT_BURST 10
#define EDT_FRAMES 300

/* A VM limited to 500 frames a second with a burst of 10: 300 frames
 * offered at once take (300 - 10) / 500 s, at the configured rate.
 */
static void test_edt(void)
{
	struct test_frame f = { .vm = 1, .tag = 1, .len = EDT_FRAME };
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct edt_vm limit = { .rate = EDT_PPS * EDT_FRAME, .burst = EDT_BURST * EDT_FRAME };
	struct xdpq_sched_edt *skel = NULL;
	struct nstoken *nstoken = NULL;
	__u64 start, after_burst = 0, end = 0;
	double rate;
	int tap;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, false);
	if (tap < 0)
		goto out;
	if (!sched_load(skel, xdpq_sched_edt, tap))
		goto out;
	vm_add(skel->maps.vm_by_mac, skel->maps.vm_slots, 1);
	if (!ASSERT_OK(vm_set(skel->maps.vms, 1, &limit), "rate"))
		goto out;

	start = now_ns();
	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &f, EDT_FRAMES), "offer"))
		goto out;
	while (!end && now_ns() - start < 5000000000ULL) {
		if (!after_burst && READ_ONCE(r->frames) >= EDT_BURST)
			after_burst = now_ns();
		if (READ_ONCE(r->frames) >= EDT_FRAMES)
			end = now_ns();
		usleep(500);
	}
	if (!ASSERT_NEQ(end, 0, "all read"))
		goto out;
	ASSERT_LT(after_burst - start, 100000000ULL, "the burst leaves at once");
	rate = (EDT_FRAMES - EDT_BURST) * 1e9 / (end - start);
	ASSERT_GE(rate, EDT_PPS * 0.95, "rate >= 0.95x the limit");
	ASSERT_LE(rate, EDT_PPS * 1.05, "rate <= 1.05x the limit");
	printf("%s: %d frames at %d/s with a burst of %d: %.1f frames/s\n",
	       __func__, EDT_FRAMES, EDT_PPS, EDT_BURST, rate);
	check_drained(skel->maps.edt_queue, EDT_FRAMES, 0);
out:
	xdpq_sched_edt__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

#define HIER_FRAMES 300
#define HIER_STALLED 1300	/* more than a VM's share, 1024 */

/* Two VMs behind their own taps: VM 1 limited to 500 frames a second,
 * VM 2 unlimited but stalled, its reader paused. VM 1 keeps its rate; VM 2
 * keeps its frames up to its share of the queue and has the rest dropped,
 * counted, and gets what it kept once its reader resumes.
 */
static void test_hier(void)
{
	struct test_frame f1 = { .vm = 1, .tag = 1, .dport = 1000, .len = EDT_FRAME };
	struct test_frame f2 = { .vm = 2, .tag = 2, .dport = 1000, .len = EDT_FRAME };
	struct xdpq_tap_reader *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2));
	struct hier_vm_cfg cfg1 = { .rate = EDT_PPS * EDT_FRAME, .burst = EDT_BURST * EDT_FRAME };
	struct hier_vm_cfg cfg2 = {};
	struct xdpq_sched_hier *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct hier_vm_state st2;
	__u64 start, end = 0;
	__u32 vm = 2;
	double rate;
	int tap1;

	if (!ASSERT_OK_PTR(r1, "reader 1") || !ASSERT_OK_PTR(r2, "reader 2"))
		goto out_free;
	r2->fd = -1;
	r2->paused = true;
	tap1 = tap_up(&nstoken, r1, false);
	if (tap1 < 0 || !ASSERT_OK(xdpq_tap_start(r2, "xdpq_tap2"), "tap 2"))
		goto out;
	SYS(out, "ip link set dev xdpq_tap2 up");
	if (!sched_load(skel, xdpq_sched_hier, 0))	/* a target per VM */
		goto out;
	cfg1.ifindex = tap1;
	cfg2.ifindex = if_nametoindex("xdpq_tap2");
	vm_add(skel->maps.vm_by_mac, skel->maps.vm_slots, 1);
	vm_add(skel->maps.vm_by_mac, skel->maps.vm_slots, 2);
	if (!ASSERT_OK(vm_set(skel->maps.vm_cfg, 1, &cfg1), "vm 1") ||
	    !ASSERT_OK(vm_set(skel->maps.vm_cfg, 2, &cfg2), "vm 2"))
		goto out;

	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap1, &f2, HIER_STALLED), "offer vm 2"))
		goto out;
	start = now_ns();
	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap1, &f1, HIER_FRAMES), "offer vm 1"))
		goto out;
	while (!end && now_ns() - start < 5000000000ULL) {
		if (READ_ONCE(r1->frames) >= HIER_FRAMES)
			end = now_ns();
		usleep(500);
	}
	if (!ASSERT_NEQ(end, 0, "vm 1 read"))
		goto out;
	rate = (HIER_FRAMES - EDT_BURST) * 1e9 / (end - start);
	ASSERT_GE(rate, EDT_PPS * 0.95, "vm 1 rate >= 0.95x its limit");
	ASSERT_LE(rate, EDT_PPS * 1.05, "vm 1 rate <= 1.05x its limit");
	ASSERT_EQ(READ_ONCE(r2->frames), 0, "vm 2 stalled");
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.vm_state), &vm, &st2), "vm 2 state");
	ASSERT_GT(st2.blocked, 0, "vm 2 blocked at its tap's limit");
	ASSERT_GT(queue_stats(skel->maps.hier_queue).depth, 0, "vm 2 frames queued");

	ASSERT_GT(st2.dropped, 0, "vm 2 over its share: dropped");

	WRITE_ONCE(r2->paused, false);
	ASSERT_TRUE(wait_frames(r2, HIER_STALLED - st2.dropped, 10000),
		    "vm 2 read after it resumed");
	usleep(100000);
	ASSERT_EQ(r2->frames + st2.dropped, HIER_STALLED, "vm 2: read + dropped");
	printf("%s: vm 1 at %.1f of %d frames/s while vm 2 stalled; vm 2 then read %llu of %d, %llu dropped\n",
	       __func__, rate, EDT_PPS, (unsigned long long)r2->frames, HIER_STALLED,
	       (unsigned long long)st2.dropped);
	check_drained(skel->maps.hier_queue, HIER_FRAMES + HIER_STALLED - st2.dropped, 0);
out:
	xdpq_sched_hier__destroy(skel);
	xdpq_tap_stop(r2);
	tap_down(nstoken, r1);
out_free:
	free(r1);
	free(r2);
}

#define HIER_FLOWS	16		/* xdpq_hier's sub-queues per VM, 0 for priority */
#define HIER_VM_SHARE	(1024 - 64)	/* HIER_VM_FRAMES less the priority part */
#define HIER_FILL	32		/* more than the tap takes while paused */

/* Within a VM's share, a flow with frames queued takes at most its part:
 * with two flows queued behind a stalled tap, a backlog of one keeps half
 * the share, and the rest of its frames are dropped, not the room another
 * flow will need.
 */
static void test_hier_flow_share(void)
{
	struct test_frame fa = { .vm = 1, .tag = 1, .dport = 1000, .len = EDT_FRAME };
	struct test_frame fb = { .vm = 1, .tag = 2, .dport = 1001, .len = EDT_FRAME };
	struct xdpq_tap_reader *r = calloc(1, sizeof(*r));
	struct xdpq_sched_hier *skel = NULL;
	struct nstoken *nstoken = NULL;
	struct hier_vm_cfg cfg = {};
	__u64 depth_a = 0, depth_b = 0, sent, depth;
	struct hier_vm_state st;
	__u32 vm = 1, key;
	int tap;

	if (!ASSERT_OK_PTR(r, "reader"))
		return;
	tap = tap_up(&nstoken, r, true);
	if (tap < 0 || !sched_load(skel, xdpq_sched_hier, 0))
		goto out;
	cfg.ifindex = tap;
	vm_add(skel->maps.vm_by_mac, skel->maps.vm_slots, vm);
	if (!ASSERT_OK(vm_set(skel->maps.vm_cfg, vm, &cfg), "vm 1"))
		goto out;

	/* The tap takes what its limit allows, then the VM is blocked. */
	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &fa, HIER_FILL), "fill the tap"))
		goto out;
	sent = backlog_formed(skel->maps.hier_queue, &skel->bss->xdpq_runs);
	if (!ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &fb, 1), "flow b") ||
	    !ASSERT_OK(offer(skel->progs.xdpq_enqueue, tap, &fa, HIER_VM_SHARE), "flow a"))
		goto out;
	for (key = vm * HIER_FLOWS + 1; key < (vm + 1) * HIER_FLOWS; key++) {
		depth = subq_stats(skel->maps.hier_queue, key).depth;
		if (depth == 1)
			depth_b = depth;
		else if (depth)
			depth_a = depth;
	}
	ASSERT_EQ(depth_b, 1, "flow b queued in a sub-queue of its own");
	ASSERT_EQ(depth_a, HIER_VM_SHARE / 2, "flow a holds half the share");
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.vm_state), &vm, &st), "vm state");
	ASSERT_EQ(st.dropped, HIER_FILL + HIER_VM_SHARE - sent - depth_a, "flow a dropped");

	WRITE_ONCE(r->paused, false);
	ASSERT_TRUE(wait_frames(r, sent + depth_a + depth_b, 5000), "all read");
	usleep(100000);
	check_drained(skel->maps.hier_queue, sent + depth_a + depth_b, 0);
out:
	xdpq_sched_hier__destroy(skel);
	tap_down(nstoken, r);
	free(r);
}

void test_xdpq_schedulers(void)
{
	if (test__start_subtest("prio"))
		test_prio();
	if (test__start_subtest("wfq"))
		test_wfq();
	if (test__start_subtest("drr"))
		test_drr();
	if (test__start_subtest("fq_codel"))
		test_fq_codel();
	if (test__start_subtest("edt"))
		test_edt();
	if (test__start_subtest("hier"))
		test_hier();
	if (test__start_subtest("vm_lookup"))
		test_vm_lookup();
	if (test__start_subtest("hier_flow_share"))
		test_hier_flow_share();
	if (test__start_subtest("fifo_fwd"))
		test_fifo_fwd();
}
