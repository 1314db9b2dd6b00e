/* SPDX-License-Identifier: GPL-2.0-only */
/* Just what include/net/xdp_queue.h needs from linux/bpf.h. */
#ifndef __XDPQ_SHIM_BPF_H__
#define __XDPQ_SHIM_BPF_H__

#include <linux/types.h>
#include <uapi/linux/bpf.h>	/* the map types, as in linux/bpf.h */

struct bpf_map {
	u32 map_type;
	u32 max_entries;
};

union bpf_attr;

#endif
