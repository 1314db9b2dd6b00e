/* SPDX-License-Identifier: GPL-2.0-only */
/* Force-included first: the few kernel definitions tools/include lacks. */
#ifndef __XDPQ_SHIM_H__
#define __XDPQ_SHIM_H__

#include <linux/types.h>

#define __percpu

static inline unsigned int __ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

#endif
