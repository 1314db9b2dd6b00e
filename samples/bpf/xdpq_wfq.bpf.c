// SPDX-License-Identifier: GPL-2.0
/* Weighted fair queueing between VMs: start-time fair queueing (STFQ) on
 * virtual time, over a PIFO map.
 *
 * Each frame gets a start tag S = max(V, F[vm]) and moves its VM's finish
 * tag to F[vm] = S + len / weight[vm]. Frames leave in order of start
 * tag; V, the virtual time, is the start tag of the frame that left last.
 * A backlogged VM thus gets a share of the target proportional to its
 * weight, and a VM that was idle starts at V: it gets no credit for the
 * time it sent nothing.
 *
 * The VM is looked up by destination MAC (xdpq_vm_by_mac()), for traffic
 * towards the VMs, or, with wfq_by_src_mac set, by source MAC, for traffic
 * from the VMs towards an uplink (xdpq_shape). Tags count bytes at weight
 * 1 in units of 1/TAG_SCALE; the PIFO rank is the start tag in units of
 * RANK_BYTES bytes at weight 1. Ranks only grow, and the PIFO's window of
 * WINDOW ranks moves along with them; a tag beyond the window, a VM far
 * ahead of V, joins the window's last rank.
 *
 * Per VM, the program counts the frames offered, queued and sent
 * (vm_stats). The timer tells a dequeued frame's VM by the same MAC
 * address, read from the frame: the queue keeps no per-frame data for it.
 * With wfq_vm_frames set, a VM that has that many frames queued has its
 * next ones dropped, before they take a tag: a VM that sends more than
 * its share cannot fill the queue and have the frames of VMs within
 * their shares dropped with its own. A frame is counted as queued when it
 * is redirected, and the map may still refuse it (generic XDP, no
 * headroom): the timer forgets all counts whenever it finds the queue
 * empty. wfq_set_weight changes a VM's weight while frames are queued.
 */
#include "xdpq_sched.h"
#include "xdpq_sched_vm.h"

#define QUEUE_FRAMES	8192
#define WINDOW		16384		/* ranks: 1 MiB at weight 1 */
#define TAG_SCALE	256
#define RANK_BYTES	64
#define MAC_DST_OFF	0
#define MAC_SRC_OFF	6

struct {
	__uint(type, BPF_MAP_TYPE_XDP_PIFO);
	__uint(max_entries, QUEUE_FRAMES);
	__uint(map_extra, WINDOW);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} wfq_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPQ_MAX_VMS);
	__type(key, __u32);
	__type(value, struct wfq_vm);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPQ_MAX_VMS);
	__type(key, __u32);
	__type(value, struct wfq_vm_stats);
} vm_stats SEC(".maps");

/* Set before loading: classify by source MAC instead of destination MAC;
 * the frames a VM may have queued, 0 for no limit but the map's.
 */
volatile const bool wfq_by_src_mac;
volatile const __u32 wfq_vm_frames;

__u64 vtime;			/* V, in tag units */

/* The statistics of the VM a dequeued frame belongs to. */
static __always_inline struct wfq_vm_stats *wfq_frame_stats(struct xdp_frame *frame)
{
	struct xdpq_mac mac = {};
	__u32 vm = 0;

	if (!xdp_packet_load_bytes(frame, wfq_by_src_mac ? MAC_SRC_OFF : MAC_DST_OFF, mac.addr,
				   sizeof(mac.addr)))
		vm = xdpq_vm_by_mac(&mac);
	return bpf_map_lookup_elem(&vm_stats, &vm);
}

static long wfq_forget_queued(__u64 i, void *ctx)
{
	__u32 vm = i;
	struct wfq_vm_stats *st = bpf_map_lookup_elem(&vm_stats, &vm);

	if (st)
		st->queued = 0;
	return 0;
}

static __s64 sched_dequeue(void)
{
	struct wfq_vm_stats *st;
	struct xdp_frame *frame;
	__u64 rank;
	__u32 len;
	int i, err;

	for (i = 0; i < XDPQ_BUDGET; i++) {
		frame = xdp_packet_dequeue(&wfq_queue, 0, &rank);
		if (!frame) {
			bpf_loop(XDPQ_MAX_VMS, wfq_forget_queued, NULL, 0);
			break;
		}
		vtime = rank * RANK_BYTES * TAG_SCALE;
		st = wfq_frame_stats(frame);
		len = frame->len;
		err = xdp_packet_send(frame, target_ifindex, 0);
		if (err == -XDPQ_EBUSY)
			return XDPQ_BLOCKED;
		if (!st)
			continue;
		/* A frame the target's ring gave back at the flush comes out
		 * of the queue twice: never count below 0.
		 */
		if ((__s64)st->queued > 0)
			__sync_fetch_and_sub(&st->queued, 1);
		if (!err) {
			st->sent_frames++;
			st->sent_bytes += len;
		}
	}
	return xdpq_done(&wfq_queue, i);
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	struct wfq_vm_stats *st;
	struct xdpq_pkt pkt;
	struct wfq_vm *vm;
	__u64 start, v;
	__u32 key;

	xdpq_parse(ctx, &pkt);
	key = xdpq_vm_by_mac(wfq_by_src_mac ? &pkt.src : &pkt.dst);
	vm = bpf_map_lookup_elem(&vms, &key);
	st = bpf_map_lookup_elem(&vm_stats, &key);
	if (!vm || !st)
		return XDP_ABORTED;
	__sync_fetch_and_add(&st->offered, 1);
	if (wfq_vm_frames && st->queued >= wfq_vm_frames) {
		__sync_fetch_and_add(&st->dropped, 1);
		return XDP_DROP;
	}
	__sync_fetch_and_add(&st->queued, 1);
	v = vtime;

	bpf_spin_lock(&vm->lock);
	start = vm->finish > v ? vm->finish : v;
	vm->finish = start + (__u64)pkt.len * TAG_SCALE / (vm->weight ?: 1);
	bpf_spin_unlock(&vm->lock);

	xdpq_wake(0, 0);
	return bpf_redirect_map(&wfq_queue, start / (RANK_BYTES * TAG_SCALE), 0);
}

/* Set a VM's weight; user space runs it with BPF_PROG_TEST_RUN. Unlike a
 * bpf_map_update_elem() of the VM's entry in vms, it leaves the finish
 * tag alone, so the weight of a backlogged VM changes without reordering
 * its frames or giving it bytes for free. Returns 0, or 1 for a VM index
 * out of range.
 */
SEC("syscall")
int wfq_set_weight(struct wfq_weight *arg)
{
	__u32 key = arg->vm;
	struct wfq_vm *vm;

	vm = bpf_map_lookup_elem(&vms, &key);
	if (!vm)
		return 1;
	bpf_spin_lock(&vm->lock);
	vm->weight = arg->weight;
	bpf_spin_unlock(&vm->lock);
	return 0;
}
