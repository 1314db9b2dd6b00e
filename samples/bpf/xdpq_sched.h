/* SPDX-License-Identifier: GPL-2.0 */
/* What the xdpq example schedulers share: the dequeue kfuncs, parsing a
 * frame into what schedulers classify by, and the timer that runs them.
 *
 * A scheduler is one BPF object with three XDP programs:
 *
 *   xdpq_init     run once by user space with BPF_PROG_TEST_RUN before it
 *                 attaches anything: sets up the scheduler's timer. The
 *                 timer callback must be set by an XDP program to run in
 *                 a bpf_net_context, where it may send frames.
 *   xdpq_enqueue  attached to the ingress device: classifies the frame,
 *                 queues it with bpf_redirect_map() and wakes the timer.
 *   the timer     calls the scheduler's sched_dequeue(), which takes
 *                 frames out, sends or drops them, and says when it wants
 *                 to run again.
 *
 * sched_dequeue() returns the nanoseconds after which to run again (0:
 * at once), XDPQ_IDLE when it found nothing to do, or XDPQ_BLOCKED when
 * a target refused a frame with -EBUSY: that target is at its XDP TX
 * limit, the frame is back at the head of its queue, and the target's
 * next TX completion starts the timer again (see
 * Documentation/networking/xdp_tx_limit.rst). Either way the timer is
 * not re-armed, so a stalled target costs no CPU.
 *
 * See Documentation/bpf/map_xdp_queue.rst for the maps and the kfuncs.
 */
#ifndef __XDPQ_SCHED_H
#define __XDPQ_SCHED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpq_sched_vm.h"

/* The dequeue kfuncs, from net/core/xdp_dequeue.c */
struct xdp_frame *xdp_packet_dequeue(void *map, __u64 flags, __u64 *rank) __ksym;
int xdp_packet_peek_rank(void *map, __u64 flags, __u64 *rank) __ksym;
int xdp_packet_next_subq(void *map, __u32 from, __u32 to) __ksym;
int xdp_packet_send(struct xdp_frame *frame, __u32 ifindex, __u64 flags) __ksym;
int xdp_packet_dequeue_send(void *map, __u64 flags, __u32 ifindex, __u32 max_frames,
			    __u64 *bytes) __ksym;
void xdp_packet_drop(struct xdp_frame *frame) __ksym;
int xdp_packet_load_bytes(struct xdp_frame *frame, __s32 offset, void *buf,
			  __u32 buf__sz) __ksym;

/* uapi constants in anonymous enums or macros, which vmlinux.h lacks */
#define XDPQ_DEQUEUE_RANK_LE	(1ULL << 32)	/* BPF_XDP_DEQUEUE_RANK_LE */
#define XDPQ_EBUSY		16		/* EBUSY */
#define XDPQ_CLOCK_MONOTONIC	1
#define XDPQ_ETH_P_IP		0x0800
#define XDPQ_ETH_P_IPV6		0x86DD
#define XDPQ_ETH_P_8021Q	0x8100
#define XDPQ_NSEC_PER_SEC	1000000000ULL

#define XDPQ_BUDGET	64	/* frames per timer run */
#define XDPQ_IDLE	(-1)
#define XDPQ_BLOCKED	(-2)

/* The target device of the frames. User space sets it before loading; it
 * names a device in the network namespace of the process that creates
 * the queue map.
 */
volatile const __u32 target_ifindex;

/* What the schedulers classify by. */
struct xdpq_pkt {
	struct xdpq_mac dst;	/* destination MAC */
	struct xdpq_mac src;	/* source MAC */
	__u32 len;
	__u32 flow;		/* hash of addresses, protocol and ports */
	__u8 dscp;
	__u8 pcp;		/* VLAN priority, 0 without a tag */
};

static __always_inline __u32 xdpq_mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x9e3779b1;
	return h ^ (h >> 15);
}

/* Parse Ethernet, one VLAN tag, IPv4 or IPv6, and the UDP or TCP ports.
 * What cannot be parsed hashes to flow 0 with DSCP 0.
 */
static __always_inline void xdpq_parse(struct xdp_md *ctx, struct xdpq_pkt *pkt)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	__u16 proto, *ports = NULL;
	__u32 h = 0;
	__u8 l4 = 0;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	pkt->len = data_end - data;
	if ((void *)(eth + 1) > data_end)
		return;
	__builtin_memcpy(pkt->dst.addr, eth->h_dest, sizeof(pkt->dst.addr));
	__builtin_memcpy(pkt->src.addr, eth->h_source, sizeof(pkt->src.addr));
	proto = eth->h_proto;
	data = eth + 1;
	if (proto == bpf_htons(XDPQ_ETH_P_8021Q)) {
		__be16 *vlan = data;	/* TCI, encapsulated protocol */

		if ((void *)(vlan + 2) > data_end)
			return;
		pkt->pcp = bpf_ntohs(vlan[0]) >> 13;
		proto = vlan[1];
		data = vlan + 2;
	}
	if (proto == bpf_htons(XDPQ_ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > data_end)
			return;
		pkt->dscp = ip->tos >> 2;
		h = xdpq_mix(xdpq_mix(h, ip->saddr), ip->daddr);
		l4 = ip->protocol;
		ports = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(XDPQ_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;
		__u8 *vtc = data;	/* version, traffic class, flow label */
		int i;

		if ((void *)(ip6 + 1) > data_end)
			return;
		pkt->dscp = (((vtc[0] & 0x0f) << 4) | (vtc[1] >> 4)) >> 2;
		for (i = 0; i < 4; i++)
			h = xdpq_mix(xdpq_mix(h, ip6->saddr.in6_u.u6_addr32[i]),
				     ip6->daddr.in6_u.u6_addr32[i]);
		l4 = ip6->nexthdr;
		ports = (void *)(ip6 + 1);
	}
	if ((l4 == IPPROTO_UDP || l4 == IPPROTO_TCP) && ports &&
	    (void *)(ports + 2) <= data_end)
		h = xdpq_mix(h, ((__u32)ports[0] << 16) | ports[1]);
	pkt->flow = xdpq_mix(h, l4);
}

/* VMs, for the schedulers that share or limit by VM: user space maps
 * each VM's MAC address to its index; other frames belong to VM 0.
 */
#define XDPQ_MAX_VMS	16

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPQ_MAX_VMS);
	__type(key, struct xdpq_mac);
	__type(value, __u32);
} vm_by_mac SEC(".maps");

/* The direct-mapped front of vm_by_mac, a slot per value of an address's
 * last byte (union xdpq_vm_slot), filled by user space with xdpq_vm_add().
 * An address found in its slot costs an array lookup and a compare
 * instead of the hash and the bucket walk: about 80 instructions less per
 * frame. Addresses whose slot another VM's holds are found in vm_by_mac.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPQ_VM_SLOTS);
	__type(key, __u32);
	__type(value, union xdpq_vm_slot);
} vm_slots SEC(".maps");

static __always_inline __u32 xdpq_vm_by_mac(const struct xdpq_mac *mac)
{
	__u32 idx = mac->addr[5], *vm;
	union xdpq_vm_slot *slot, s;

	slot = bpf_map_lookup_elem(&vm_slots, &idx);
	if (slot) {
		s.word = *(volatile __u64 *)&slot->word;
		if (xdpq_vm_slot_holds(s, mac))
			return (s.vm1 - 1) & (XDPQ_MAX_VMS - 1);
	}
	vm = bpf_map_lookup_elem(&vm_by_mac, mac);
	return vm ? *vm & (XDPQ_MAX_VMS - 1) : 0;
}

static __always_inline __u32 xdpq_vm(const struct xdpq_pkt *pkt)
{
	/* A copy, so that pkt does not escape to the helper: the compiler
	 * then keeps its fields in registers and drops those the scheduler
	 * does not read.
	 */
	struct xdpq_mac key = pkt->dst;

	return xdpq_vm_by_mac(&key);
}

/* The scheduler timer. */
struct xdpq_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpq_timer);
} xdpq_timers SEC(".maps");

__u32 xdpq_armed;	/* the timer is set, running, or waiting on a target */
__u32 xdpq_blocked;	/* the last run ended at a full target */
__u64 xdpq_wake_ns;	/* when it is set to fire */
__u64 xdpq_runs;

static __s64 sched_dequeue(void);

static int xdpq_timer_cb(void *map, __u32 *key, struct xdpq_timer *t)
{
	__s64 next = sched_dequeue();

	xdpq_runs++;
	xdpq_blocked = next == XDPQ_BLOCKED;
	if (next >= 0) {
		xdpq_wake_ns = bpf_ktime_get_ns() + next;
		bpf_timer_start(&t->timer, next, 0);
	} else if (next == XDPQ_IDLE) {
		xdpq_armed = 0;
	} else {
		xdpq_wake_ns = ~0ULL;	/* not set to fire */
	}
	return 0;
}

/* Make the timer fire by at_ns (CLOCK_MONOTONIC): start it if it is idle,
 * bring it forward if it is set to fire later. While the scheduler is
 * blocked, only the target's completion restarts it. Called by
 * xdpq_enqueue on any CPU: two CPUs may race to start it, which only
 * starts it twice.
 */
static __always_inline void xdpq_wake(__u64 at_ns, __u64 now)
{
	struct xdpq_timer *t;
	__u32 key = 0;

	if (xdpq_armed && (xdpq_blocked || at_ns >= xdpq_wake_ns))
		return;
	t = bpf_map_lookup_elem(&xdpq_timers, &key);
	if (!t)
		return;
	xdpq_armed = 1;
	xdpq_wake_ns = at_ns;
	bpf_timer_start(&t->timer, at_ns > now ? at_ns - now : 0, 0);
}

/* xdpq_wake() for a frame whose target is not the one the scheduler is
 * blocked on, in schedulers with several targets: it has work regardless.
 */
static __always_inline void xdpq_wake_unblocked(__u64 at_ns, __u64 now)
{
	xdpq_blocked = 0;
	xdpq_wake(at_ns, now);
}

/* The first sub-queue of map in [first, end) with frames after sub-queue
 * after, round the range: where deficit round robin goes on from a
 * sub-queue it found empty. Negative if none has frames.
 */
static __always_inline int xdpq_next_subq_round(void *map, __u32 first, __u32 end,
						__u32 after)
{
	int next = -1;

	if (after + 1 < end)
		next = xdp_packet_next_subq(map, after + 1, end);
	if (next < 0)
		next = xdp_packet_next_subq(map, first, after + 1);
	return next;
}

/* What a run that was not blocked returns once its queues in map look
 * empty: XDPQ_IDLE if the map holds no frame, 0 (run again at once) if
 * it does and the run handled frames. A frame that another CPU redirected
 * while the timer was armed did not wake it (xdpq_wake()), and reaches
 * the map only when that CPU flushes its enqueue bulk, possibly after the
 * run looked at its sub-queue. xdp_packet_next_subq() finding the map
 * empty makes the map start the timer when such a frame arrives; a frame
 * found in the map is taken by one more run. A run that handled nothing
 * goes idle regardless, so frames that the scheduler leaves in the map
 * cannot make it spin.
 */
static __always_inline __s64 xdpq_done(void *map, int handled)
{
	if (!handled)
		return XDPQ_IDLE;
	return xdp_packet_next_subq(map, 0, ~0U) < 0 ? XDPQ_IDLE : 0;
}

SEC("xdp")
int xdpq_init(struct xdp_md *ctx)
{
	struct xdpq_timer *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&xdpq_timers, &key);
	if (!t)
		return XDP_ABORTED;
	if (bpf_timer_init(&t->timer, &xdpq_timers, XDPQ_CLOCK_MONOTONIC) ||
	    bpf_timer_set_callback(&t->timer, xdpq_timer_cb))
		return XDP_ABORTED;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

#endif
