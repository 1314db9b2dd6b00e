// SPDX-License-Identifier: GPL-2.0
/* xdpq_demo_sink: a VM, as far as the demo needs one. It creates a tap,
 * reads it at most PPS frames a second (not at all between STALL_FROM and
 * STALL_TO seconds after it started), and writes OUT.csv with the bytes
 * received per 100 ms and OUT.lat with the latency (ns) of every frame
 * with DSCP 40 or above.
 *
 * usage: xdpq_demo_sink TAP SECONDS PPS OUT [STALL_FROM STALL_TO]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include "xdpq_demo.h"

#define SLOT 0.1		/* s per CSV row */
#define MAX_SLOTS 1200

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = d;
	ts.tv_nsec = (d - ts.tv_sec) * 1e9;
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	static unsigned long long bytes[MAX_SLOTS];
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	double start, end, t, interval, next, stall_from = -1, stall_to = -1;
	unsigned char buf[2048];
	struct demo_hdr *h = (void *)buf;
	unsigned long long frames = 0;
	struct pollfd pfd;
	char path[256];
	FILE *csv, *lat;
	int fd, slot, i;
	ssize_t n;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: %s TAP SECONDS PPS OUT [STALL_FROM STALL_TO]\n", argv[0]);
		return 2;
	}
	if (argc == 7) {
		stall_from = atof(argv[5]);
		stall_to = atof(argv[6]);
	}
	fd = open("/dev/net/tun", O_RDWR);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr)) {
		perror(argv[1]);
		return 1;
	}
	snprintf(path, sizeof(path), "%s.lat", argv[4]);
	lat = fopen(path, "w");
	snprintf(path, sizeof(path), "%s.csv", argv[4]);
	csv = fopen(path, "w");
	if (!lat || !csv) {
		perror(path);
		return 1;
	}
	interval = 1.0 / atof(argv[3]);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	start = now();
	end = start + atof(argv[2]);
	next = start;
	while ((t = now()) < end) {
		if (t - start >= stall_from && t - start < stall_to) {
			sleep_until(start + stall_to);
			next = now();
			continue;
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < (ssize_t)sizeof(*h) || memcmp(h->src, DEMO_SRC_MAC, 6))
			continue;
		t = now();
		slot = (t - start) / SLOT;
		if (slot < MAX_SLOTS)
			bytes[slot] += n;
		frames++;
		if (((ntohl(h->vtc_flow) >> 20) & 0xff) >> 2 >= 40) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			fprintf(lat, "%llu\n", ts.tv_sec * 1000000000ULL + ts.tv_nsec -
					       (unsigned long long)h->sent_ns);
		}
		/* Read no faster than PPS: the VM's own speed. */
		next += interval;
		if (next < t - 0.05)
			next = t - 0.05;
		sleep_until(next);
	}
	fprintf(csv, "t,bytes\n");
	for (i = 0; i < (int)((end - start) / SLOT) && i < MAX_SLOTS; i++)
		fprintf(csv, "%.1f,%llu\n", i * SLOT, bytes[i]);
	fclose(csv);
	fclose(lat);
	printf("%s: %llu frames read\n", argv[1], frames);
	return 0;
}
