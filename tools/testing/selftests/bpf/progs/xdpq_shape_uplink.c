// SPDX-License-Identifier: GPL-2.0
/* The far end of the uplink in the xdpq_shape/uplink_weights test: counts
 * the frames of each VM, by source MAC 02:00:00:00:10:0N for VM N, logs
 * which VM each frame came from in arrival order, and drops them. With
 * rx_delay_ns set it spins that long per frame: a slow receiver, which
 * keeps the uplink's queue backlogged.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

#define RX_LOG		16384
#define RX_VMS		4

__u32 rx_n;			/* the VMs' frames received */
__u8 rx_log[RX_LOG];		/* the VM of each, in arrival order */
__u64 rx_vm[RX_VMS];		/* per VM */
__u64 rx_delay_ns;

static long spin_until(__u64 i, __u64 *deadline)
{
	return bpf_ktime_get_ns() >= *deadline;
}

/* VM N of the test's MAC addresses, or 0. */
static __always_inline __u8 rx_vm_of(const __u8 *mac)
{
	if (mac[0] != 0x02 || mac[1] || mac[2] || mac[3] || mac[4] != 0x10 ||
	    !mac[5] || mac[5] >= RX_VMS)
		return 0;
	return mac[5];
}

SEC("xdp")
int xdp_count_vms(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	__u64 deadline;
	__u32 n;
	__u8 vm;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	vm = rx_vm_of(eth->h_source);
	if (!vm)
		return XDP_DROP;
	if (rx_delay_ns) {
		deadline = bpf_ktime_get_ns() + rx_delay_ns;
		bpf_loop(1 << 20, spin_until, &deadline, 0);
	}
	n = __sync_fetch_and_add(&rx_n, 1);
	if (n < RX_LOG)
		rx_log[n] = vm;
	__sync_fetch_and_add(&rx_vm[vm], 1);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
