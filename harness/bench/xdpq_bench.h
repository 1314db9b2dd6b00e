/* SPDX-License-Identifier: GPL-2.0 */
/* What xdpq_bench.c and its BPF objects share: the queue a case takes and
 * the frames it offers.
 */
#ifndef __XDPQ_BENCH_H
#define __XDPQ_BENCH_H

/* The path of a case: BENCH_DEVMAP is the baseline, the others queue the
 * frames in a queue map of that type and send them from a bpf_timer.
 */
enum bench_path {
	BENCH_DEVMAP,
	BENCH_FIFO,
	BENCH_PIFO,
	BENCH_RBTREE,
};

/* The source MAC address of the offered frames: the receiving end counts
 * only these, not the stack's own frames (IPv6 neighbour discovery, ...).
 */
#define BENCH_SRC_MAC { 0x02, 0x00, 0x00, 0x00, 0xbe, 0x01 }

#define BENCH_FRAME_LEN 64	/* Ethernet, IPv6, UDP and 2 bytes of payload */
#define BENCH_PIFO_WINDOW 65536	/* ranks: the PIFO map's map_extra */
#define BENCH_MAX_FLOWS 4096	/* PIFO flows, a power of two */

/* The receiving end notes the time of every BENCH_STAMP_EVERY-th frame in
 * a ring of BENCH_STAMPS; xdpq_bench.c measures over at most half of it,
 * half a million frames.
 */
#define BENCH_STAMP_EVERY 1024
#define BENCH_STAMPS 1024

#endif
