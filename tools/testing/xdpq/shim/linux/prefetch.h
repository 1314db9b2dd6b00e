/* SPDX-License-Identifier: GPL-2.0-only */
/* include/linux/prefetch.h without the architecture's asm/processor.h:
 * on x86-64, prefetch() is prefetchnta, a read into the nearest cache
 * only; elsewhere, the generic one.
 */
#ifndef __XDPQ_SHIM_PREFETCH_H__
#define __XDPQ_SHIM_PREFETCH_H__

#ifdef __x86_64__
#define prefetch(x) __builtin_prefetch(x, 0, 0)
#else
#define prefetch(x) __builtin_prefetch(x)
#endif

#endif
