/* SPDX-License-Identifier: GPL-2.0 */
/* Per-VM settings of the xdpq example schedulers, the values of their
 * vms maps: shared by the BPF programs and the user space that fills
 * them. A bpf_map_update_elem() of a value leaves its lock alone.
 */
#ifndef __XDPQ_SCHED_VM_H
#define __XDPQ_SCHED_VM_H

/* xdpq_wfq.bpf.c */
struct wfq_vm {
	struct bpf_spin_lock lock;
	__u64 finish;		/* the VM's finish tag, kept by the program */
	__u32 weight;		/* share, relative to other VMs; 0 counts as 1 */
};

/* xdpq_edt.bpf.c */
struct edt_vm {
	struct bpf_spin_lock lock;
	__u64 next_ns;		/* the VM's next departure, kept by the program */
	__u64 rate;		/* bytes per second, 0: unlimited */
	__u64 burst;		/* bytes the VM may send at once after a pause */
};

#endif
