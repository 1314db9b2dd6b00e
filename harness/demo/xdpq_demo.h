/* SPDX-License-Identifier: GPL-2.0 */
/* The frames of the `make run` demo: Ethernet, IPv6, UDP, then the
 * generator's stamp. DEMO_SRC_MAC tells them from the stack's own frames.
 */
#ifndef __XDPQ_DEMO_H
#define __XDPQ_DEMO_H

#include <stdint.h>

#define DEMO_SRC_MAC "\x02\x00\x00\x00\x00\x01"

struct demo_hdr {
	uint8_t dst[6], src[6];
	uint16_t proto;
	uint32_t vtc_flow;		/* IPv6: version, traffic class, label */
	uint16_t payload_len;
	uint8_t nexthdr, hop_limit;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport, udp_len, udp_csum;
	uint64_t sent_ns;		/* CLOCK_MONOTONIC at sendto() */
	uint32_t stream;		/* the generator's stream index */
	uint32_t seq;
} __attribute__((packed));

#endif
