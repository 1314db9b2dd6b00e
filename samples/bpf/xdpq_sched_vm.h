/* SPDX-License-Identifier: GPL-2.0 */
/* Per-VM settings of the xdpq example schedulers, the values of their
 * vms maps: shared by the BPF programs and the user space that fills
 * them. A bpf_map_update_elem() of a value leaves its lock alone.
 */
#ifndef __XDPQ_SCHED_VM_H
#define __XDPQ_SCHED_VM_H

/* A MAC address padded to eight bytes, the key of vm_by_mac
 * (xdpq_sched.h). The hash map hashes a key of whole words in one pass
 * and compares an eight-byte key as one word, which per frame costs
 * about 50 instructions less than a six-byte key. pad must be zero.
 */
struct xdpq_mac {
	__u8 addr[6];
	__u16 pad;
};

/* The key for the MAC address at mac. */
static inline struct xdpq_mac xdpq_mac(const __u8 *mac)
{
	struct xdpq_mac key = {};

	__builtin_memcpy(key.addr, mac, sizeof(key.addr));
	return key;
}

/* A slot of vm_slots, the direct-mapped front of vm_by_mac (see
 * xdpq_vm_by_mac() in xdpq_sched.h): the slot of an address's last byte
 * holds the address of one VM and its index + 1, or is 0. vm1 is a
 * single byte and the program reads the slot in one load, so a slot that
 * user space rewrites, through 0 (xdpq_vm_add()), is read as the old
 * entry, the new one, or no match, never as a mix that matches.
 */
#define XDPQ_VM_SLOTS 256

union xdpq_vm_slot {
	struct {
		__u8 addr[6];
		__u8 vm1;	/* the VM's index + 1; 0: empty */
		__u8 zero;
	};
	__u64 word;
};

/* Does the slot hold mac? Compared as words, the vm1 byte left out. */
static inline bool xdpq_vm_slot_holds(union xdpq_vm_slot slot, const struct xdpq_mac *mac)
{
	const union xdpq_vm_slot vm1_byte = { .vm1 = 0xff };
	union xdpq_vm_slot key = {};

	__builtin_memcpy(key.addr, mac->addr, sizeof(key.addr));
	return slot.vm1 && !((slot.word ^ key.word) & ~vm1_byte.word);
}

#ifndef __bpf__
#include <bpf/bpf.h>

/* User space: map the VM's MAC address to vm in a scheduler's vm_by_mac,
 * and in vm_slots too unless another VM's address holds the slot, which
 * leaves this one to vm_by_mac. Returns 0 or a negative errno.
 */
static inline int xdpq_vm_add(int vm_by_mac_fd, int vm_slots_fd, const __u8 *addr, __u32 vm)
{
	struct xdpq_mac mac = xdpq_mac(addr);
	union xdpq_vm_slot slot, empty = {};
	__u32 idx = addr[5];
	int err;

	err = bpf_map_update_elem(vm_by_mac_fd, &mac, &vm, 0);
	if (!err)
		err = bpf_map_lookup_elem(vm_slots_fd, &idx, &slot);
	if (err || (slot.vm1 && !xdpq_vm_slot_holds(slot, &mac)))
		return err;
	if (slot.vm1)
		err = bpf_map_update_elem(vm_slots_fd, &idx, &empty, 0);
	slot = empty;
	__builtin_memcpy(slot.addr, addr, sizeof(slot.addr));
	slot.vm1 = vm + 1;	/* 0, for vm 255, leaves the slot empty */
	return err ?: bpf_map_update_elem(vm_slots_fd, &idx, &slot, 0);
}
#endif

/* xdpq_wfq.bpf.c */
struct wfq_vm {
	struct bpf_spin_lock lock;
	__u64 finish;		/* the VM's finish tag, kept by the program */
	__u32 weight;		/* share, relative to other VMs; 0 counts as 1 */
};

/* xdpq_wfq.bpf.c: the argument of wfq_set_weight */
struct wfq_weight {
	__u32 vm;
	__u32 weight;
};

/* xdpq_wfq.bpf.c: kept by the program, read by user space */
struct wfq_vm_stats {
	__u64 offered;		/* frames of the VM */
	__u64 queued;		/* of them in the queue now */
	__u64 dropped;		/* refused: the VM had wfq_vm_frames queued */
	__u64 sent_frames;	/* sends neither refused with -EBUSY nor failed */
	__u64 sent_bytes;
};

/* xdpq_edt.bpf.c */
struct edt_vm {
	struct bpf_spin_lock lock;
	__u64 next_ns;		/* the VM's next departure, kept by the program */
	__u64 rate;		/* bytes per second, 0: unlimited */
	__u64 burst;		/* bytes the VM may send at once after a pause */
};

/* xdpq_hier.bpf.c: set by user space */
struct hier_vm_cfg {
	__u32 ifindex;		/* the VM's target device; 0: no such VM */
	__u32 pad;
	__u64 rate;		/* bytes per second, 0: unlimited */
	__u64 burst;		/* bytes the VM may send at once after a pause */
};

/* xdpq_hier.bpf.c: kept by the program, read by user space */
struct hier_vm_state {
	__s64 tokens;		/* bytes the VM may send now */
	__u64 refill_ns;	/* when tokens were last added */
	__u64 sent_frames;
	__u64 sent_bytes;
	__u64 blocked;		/* sends refused at the target's XDP TX limit */
	__u64 queued;		/* frames in the VM's sub-queues */
	__u64 dropped;		/* frames refused: the VM's share, or its
				 * flow's part of it, was full
				 */
	__u64 flows_queued;	/* flow sub-queues with frames queued */
	__u32 flow;		/* the flow sub-queue to visit first */
	__u32 backlogged;	/* frames were left when the VM's turn ended */
	__u32 waiting;		/* for room at its target */
	__u32 pad;
};

#endif
