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
 * The VM is looked up by destination MAC (xdpq_vm()). Tags count bytes at weight 1 in
 * units of 1/TAG_SCALE; the PIFO rank is the start tag in units of
 * RANK_BYTES bytes at weight 1. Ranks only grow, and the PIFO's window of
 * WINDOW ranks moves along with them; a tag beyond the window, a VM far
 * ahead of V, joins the window's last rank.
 */
#include "xdpq_sched.h"
#include "xdpq_sched_vm.h"

#define QUEUE_FRAMES	8192
#define WINDOW		16384		/* ranks: 1 MiB at weight 1 */
#define TAG_SCALE	256
#define RANK_BYTES	64

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

__u64 vtime;			/* V, in tag units */

static __s64 sched_dequeue(void)
{
	struct xdp_frame *frame;
	__u64 rank;
	int i;

	for (i = 0; i < XDPQ_BUDGET; i++) {
		frame = xdp_packet_dequeue(&wfq_queue, 0, &rank);
		if (!frame)
			break;
		vtime = rank * RANK_BYTES * TAG_SCALE;
		if (xdp_packet_send(frame, target_ifindex, 0) == -XDPQ_EBUSY)
			return XDPQ_BLOCKED;
	}
	return xdpq_done(i);
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	struct xdpq_pkt pkt;
	struct wfq_vm *vm;
	__u64 start, v;
	__u32 key;

	xdpq_parse(ctx, &pkt);
	key = xdpq_vm(&pkt);
	vm = bpf_map_lookup_elem(&vms, &key);
	if (!vm)
		return XDP_ABORTED;
	v = vtime;

	bpf_spin_lock(&vm->lock);
	start = vm->finish > v ? vm->finish : v;
	vm->finish = start + (__u64)pkt.len * TAG_SCALE / (vm->weight ?: 1);
	bpf_spin_unlock(&vm->lock);

	xdpq_wake(0, 0);
	return bpf_redirect_map(&wfq_queue, start / (RANK_BYTES * TAG_SCALE), 0);
}
