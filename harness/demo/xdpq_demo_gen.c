// SPDX-License-Identifier: GPL-2.0
/* xdpq_demo_gen: send paced streams of UDP/IPv6 frames out of a device
 * through a packet socket, each frame stamped with its send time
 * (CLOCK_MONOTONIC, ns) for the sinks to measure latency.
 *
 * usage: xdpq_demo_gen DEV SECONDS STREAM...
 *   STREAM = MAC,PPS,DSCP,LEN, e.g. 02:00:00:00:10:01,1500,0,500
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "xdpq_demo.h"

#define MAX_STREAMS 8

struct stream {
	unsigned char frame[1514];
	unsigned int len;
	double interval;	/* s between frames */
	double next;		/* s, when the next frame is due */
	unsigned long long sent;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_stream(const char *arg, struct stream *s, int id)
{
	unsigned int mac[6], pps, dscp, len, i;
	struct demo_hdr *h = (void *)s->frame;

	if (sscanf(arg, "%x:%x:%x:%x:%x:%x,%u,%u,%u", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5], &pps, &dscp, &len) != 9 || !pps || dscp > 63 ||
	    len < sizeof(*h) || len > sizeof(s->frame))
		return -1;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < 6; i++)
		h->dst[i] = mac[i];
	memcpy(h->src, DEMO_SRC_MAC, 6);
	h->proto = htons(ETH_P_IPV6);
	h->vtc_flow = htonl(6 << 28 | dscp << 22);
	h->payload_len = htons(len - 14 - 40);
	h->nexthdr = 17;	/* UDP */
	h->hop_limit = 64;
	h->sport = htons(5000 + id);
	h->dport = htons(6000 + id);
	h->udp_len = h->payload_len;
	h->stream = id;
	s->len = len;
	s->interval = 1.0 / pps;
	return 0;
}

int main(int argc, char **argv)
{
	struct stream streams[MAX_STREAMS];
	struct sockaddr_ll addr = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	int nr = argc - 3, fd, i;
	double end, t, start;
	struct timespec ts;

	if (argc < 4 || nr > MAX_STREAMS) {
		fprintf(stderr, "usage: %s DEV SECONDS MAC,PPS,DSCP,LEN...\n", argv[0]);
		return 2;
	}
	addr.sll_ifindex = if_nametoindex(argv[1]);
	if (!addr.sll_ifindex) {
		fprintf(stderr, "%s: no such device\n", argv[1]);
		return 1;
	}
	for (i = 0; i < nr; i++) {
		if (parse_stream(argv[3 + i], &streams[i], i)) {
			fprintf(stderr, "bad stream: %s\n", argv[3 + i]);
			return 2;
		}
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	start = now();
	end = start + atof(argv[2]);
	for (i = 0; i < nr; i++)
		streams[i].next = start + streams[i].interval * i / nr;
	while ((t = now()) < end) {
		double due = end;

		for (i = 0; i < nr; i++) {
			struct stream *s = &streams[i];
			struct demo_hdr *h = (void *)s->frame;

			/* Catch up on what is due, but never in a burst of
			 * more than 0.1 s worth after a stall of this process.
			 */
			if (s->next < t - 0.1)
				s->next = t - 0.1;
			while (s->next <= t) {
				clock_gettime(CLOCK_MONOTONIC, &ts);
				h->sent_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
				h->seq = s->sent;
				if (sendto(fd, s->frame, s->len, 0, (void *)&addr, sizeof(addr)) < 0 &&
				    errno != ENOBUFS) {
					perror("sendto");
					return 1;
				}
				s->sent++;
				s->next += s->interval;
			}
			if (s->next < due)
				due = s->next;
		}
		if (due > t) {
			ts.tv_sec = 0;
			ts.tv_nsec = (due - t) * 1e9;
			nanosleep(&ts, NULL);
		}
	}
	for (i = 0; i < nr; i++)
		printf("stream %d: %llu frames sent\n", i, streams[i].sent);
	close(fd);
	return 0;
}
