/* SPDX-License-Identifier: GPL-2.0 */
/* The frame bench_topo sends, shared by its BPF programs
 * (bench_topo_kern.bpf.c) and its driver (bench_topo_run.c): 64 bytes of
 * Ethernet, IPv4 and UDP with a magic word, so that the counters and the
 * VMs tell it from what the stack sends on the same devices.
 */
#ifndef __BENCH_TOPO_FRAME_H
#define __BENCH_TOPO_FRAME_H

#ifndef __VMLINUX_H__
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/types.h>
#include <linux/udp.h>
#endif

#define TOPO_MAGIC	0x78647174	/* "xdqt" */
#define TOPO_FRAME_LEN	64

struct topo_frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	__be32 magic;
	__u8 pad[TOPO_FRAME_LEN - 46];
} __attribute__((packed));

#endif
