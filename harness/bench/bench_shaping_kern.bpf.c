// SPDX-License-Identifier: GPL-2.0
/* The traffic source and the VM-side counter of bench_shaping.sh.
 *
 * shaping_gen runs under BPF_PROG_RUN in live-frames mode on one 64-byte
 * IPv4/UDP template. It turns every frame into the next one of a fixed
 * round robin over the VMs and their flows: destination MAC
 * 02:00:00:00:10:0<vm+1>, the flow's UDP source port, and the VM and flow
 * in the payload. Then it tail-calls the program in shaper[0]: xdpq_hier's
 * xdpq_enqueue, or shaping_direct for the unshaped reference. With none
 * there it returns XDP_PASS, so that the frame goes up the stack of the
 * ingress device to the bridge and HTB. Every setup thus sees the same
 * frames from the same program.
 *
 * shaping_count is attached to the VM side of each VM's veth pair. It
 * counts the source's frames per VM and flow in a per-CPU array and drops
 * them: the VM receives in XDP whether the frame came as an skb through
 * HTB or as an xdp_frame from the scheduler.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_shaping_frame.h"

/* Set by user space before loading. */
volatile const __u32 nr_vms = 1;
volatile const __u32 nr_flows = 1;

/* UDP source port of each flow, network order, the same in every VM. */
__u16 flow_port[SHAPING_MAX_FLOWS];

__u64 next_frame;	/* frames offered; one source, on one CPU at a time */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} shaper SEC(".maps");

/* For the unshaped reference: each VM's device. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, SHAPING_MAX_VMS);
	__type(key, __u32);
	__type(value, __u32);
} vm_dev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHAPING_MAX_VMS * SHAPING_MAX_FLOWS);
	__type(key, __u32);
	__type(value, __u64);
} received SEC(".maps");

/* The template's headers, or NULL if the frame is too short. */
static __always_inline struct shaping_frame *shaping_frame(struct xdp_md *ctx)
{
	struct shaping_frame *f = (void *)(long)ctx->data;

	if ((void *)(f + 1) > (void *)(long)ctx->data_end)
		return NULL;
	return f;
}

SEC("xdp")
int shaping_gen(struct xdp_md *ctx)
{
	struct shaping_frame *f = shaping_frame(ctx);
	__u32 vm, flow;
	__u64 n;

	if (!f)
		return XDP_ABORTED;
	n = next_frame++;
	vm = n % nr_vms;
	flow = (n / nr_vms) % nr_flows;
	if (vm >= SHAPING_MAX_VMS || flow >= SHAPING_MAX_FLOWS)
		return XDP_ABORTED;
	f->eth.h_dest[5] = vm + 1;
	f->udp.source = flow_port[flow];
	f->vm = vm;
	f->flow = flow;
	bpf_tail_call(ctx, &shaper, 0);
	return XDP_PASS;
}

/* The unshaped reference: straight to the VM's device, as XDP forwards
 * without xdpq.
 */
SEC("xdp")
int shaping_direct(struct xdp_md *ctx)
{
	struct shaping_frame *f = shaping_frame(ctx);

	if (!f)
		return XDP_ABORTED;
	return bpf_redirect_map(&vm_dev, f->vm, 0);
}

SEC("xdp")
int shaping_count(struct xdp_md *ctx)
{
	struct shaping_frame *f = shaping_frame(ctx);
	__u32 key;
	__u64 *cnt;

	if (!f || f->magic != bpf_htonl(SHAPING_MAGIC))
		return XDP_PASS;
	key = (f->vm % SHAPING_MAX_VMS) * SHAPING_MAX_FLOWS + f->flow % SHAPING_MAX_FLOWS;
	cnt = bpf_map_lookup_elem(&received, &key);
	if (cnt)
		(*cnt)++;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
