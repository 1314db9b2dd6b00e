/* SPDX-License-Identifier: GPL-2.0-only */
/* WARN_ON_ONCE() and friends: tools/include has them in asm/bug.h, and
 * its linux/bug.h only restates BUILD_BUG_ON_ZERO().
 */
#ifndef __XDPQ_SHIM_LINUX_BUG_H__
#define __XDPQ_SHIM_LINUX_BUG_H__

#include <asm/bug.h>

#endif
