/* SPDX-License-Identifier: GPL-2.0 */
/* The frame bench_shaping's source sends, shared by its BPF programs
 * (bench_shaping_kern.bpf.c) and its driver (bench_shaping_run.c).
 */
#ifndef __BENCH_SHAPING_FRAME_H
#define __BENCH_SHAPING_FRAME_H

#ifndef __VMLINUX_H__
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/types.h>
#include <linux/udp.h>
#endif

#define SHAPING_MAX_VMS		4
#define SHAPING_MAX_FLOWS	8
#define SHAPING_MAGIC		0x78647071	/* "xdpq" */
#define SHAPING_FRAME_LEN	64

struct shaping_frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	__be32 magic;
	__u8 vm;
	__u8 flow;
	__u8 pad[SHAPING_FRAME_LEN - 48];
} __attribute__((packed));

#endif
