/* SPDX-License-Identifier: GPL-2.0 */
/* A tap device and a reader thread for the xdpq tests: the reader counts
 * the test's frames (source address 02:00:00:00:00:01), notes the 32-bit
 * tag each carries after its headers, can pause, and can read slowly.
 */
#ifndef __XDPQ_TAP_H
#define __XDPQ_TAP_H

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <test_progs.h>

#define XDPQ_TAP_TAG_OFF 66	/* eth + ipv6 + udp + sequence number */
#define XDPQ_TAP_MAX_TAGS 4096

struct xdpq_tap_reader {
	int fd;
	bool stop, paused;
	int delay_us;			/* per frame read */
	__u64 frames;
	__u32 tags[XDPQ_TAP_MAX_TAGS];	/* of the first frames, in order */
	pthread_t thread;
	bool running;
};

static inline int xdpq_open_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static inline void *xdpq_tap_read_loop(void *arg)
{
	const unsigned char test_src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct xdpq_tap_reader *r = arg;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	unsigned char buf[2048];
	ssize_t n;

	while (!READ_ONCE(r->stop)) {
		if (READ_ONCE(r->paused) || poll(&pfd, 1, 10) <= 0) {
			usleep(1000);
			continue;
		}
		n = read(r->fd, buf, sizeof(buf));
		/* Count the test's frames, not what the stack sends itself. */
		if (n < XDPQ_TAP_TAG_OFF + 4 || memcmp(buf + ETH_ALEN, test_src, ETH_ALEN))
			continue;
		if (r->frames < XDPQ_TAP_MAX_TAGS)
			memcpy(&r->tags[r->frames], buf + XDPQ_TAP_TAG_OFF, 4);
		WRITE_ONCE(r->frames, r->frames + 1);
		if (r->delay_us)
			usleep(r->delay_us);
	}
	return NULL;
}

/* Create tap device name and start reading it. */
static inline int xdpq_tap_start(struct xdpq_tap_reader *r, const char *name)
{
	r->fd = xdpq_open_tap(name);
	if (r->fd < 0)
		return r->fd;
	if (pthread_create(&r->thread, NULL, xdpq_tap_read_loop, r))
		return -errno;
	r->running = true;
	return 0;
}

static inline void xdpq_tap_stop(struct xdpq_tap_reader *r)
{
	if (r->running) {
		WRITE_ONCE(r->stop, true);
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

#endif
