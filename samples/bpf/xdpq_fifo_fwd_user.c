// SPDX-License-Identifier: GPL-2.0
/* Forward frames from <in-dev> to <out-dev> through an XDP FIFO queue map
 * (see xdpq_fifo_fwd.bpf.c) and print the map's totals once a second
 * until interrupted.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netdev.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpq_fifo_fwd.skel.h"

static const unsigned char dummy_frame[64];

/* Run the XDP program that sets up the timer once, on a dummy frame. */
static int timer_init(struct xdpq_fifo_fwd *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = dummy_frame,
		    .data_size_in = sizeof(dummy_frame));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_fifo_timer_init),
				     &opts);
	if (err)
		return err;
	return opts.retval == XDP_PASS ? 0 : -EINVAL;
}

/* Queued frames leave through the egress device's ndo_xdp_xmit. Some
 * drivers (veth, virtio-net) only offer it with an XDP program loaded
 * on the device (or, for veth, on its peer).
 */
static void check_egress(const char *name, int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, opts);

	if (bpf_xdp_query(ifindex, 0, &opts))
		return;
	if (!(opts.feature_flags & NETDEV_XDP_ACT_NDO_XMIT))
		fprintf(stderr,
			"warning: %s does not offer XDP transmit (ndo_xdp_xmit) now; sends will fail\n",
			name);
}

static void print_totals(int map_fd)
{
	__u32 key = BPF_XDP_QUEUE_TOTAL;
	struct bpf_xdp_queue_stats st;

	if (bpf_map_lookup_elem(map_fd, &key, &st)) {
		perror("bpf_map_lookup_elem");
		return;
	}
	printf("enqueued %llu sent %llu depth %llu drops: full %llu headroom %llu send %llu\n",
	       st.enqueued, st.sent, st.depth, st.drop_full, st.drop_headroom,
	       st.send_failed);
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_link_create_opts, link_opts,
		    .flags = XDP_FLAGS_DRV_MODE);
	struct timespec interval = { .tv_sec = 1 };
	struct xdpq_fifo_fwd *skel;
	int in_ifindex, out_ifindex;
	int link_fd = -1, err;
	sigset_t stop_signals;

	if (argc != 3) {
		fprintf(stderr, "usage: %s <in-dev> <out-dev>\n", argv[0]);
		return EXIT_FAILURE;
	}
	in_ifindex = if_nametoindex(argv[1]);
	if (!in_ifindex) {
		fprintf(stderr, "%s: no such device: %s\n", argv[0], argv[1]);
		return EXIT_FAILURE;
	}
	out_ifindex = if_nametoindex(argv[2]);
	if (!out_ifindex) {
		fprintf(stderr, "%s: no such device: %s\n", argv[0], argv[2]);
		return EXIT_FAILURE;
	}

	skel = xdpq_fifo_fwd__open();
	if (!skel) {
		fprintf(stderr, "failed to open the BPF object: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	err = xdpq_fifo_fwd__load(skel);
	if (err) {
		fprintf(stderr, "failed to load the BPF object: %s\n",
			strerror(-err));
		goto out;
	}
	/* The map was created in our network namespace; out_ifindex is
	 * resolved there when frames are sent.
	 */
	skel->bss->egress_ifindex = out_ifindex;
	err = timer_init(skel);
	if (err) {
		fprintf(stderr, "failed to set up the timer: %s\n",
			strerror(-err));
		goto out;
	}
	check_egress(argv[2], out_ifindex);

	/* Native mode only: generic (skb) XDP cannot queue frames. The link
	 * detaches the program when it is closed, also if we crash.
	 */
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.xdp_fifo_enqueue),
				  in_ifindex, BPF_XDP, &link_opts);
	if (link_fd < 0) {
		err = link_fd;
		fprintf(stderr, "failed to attach to %s in native XDP mode: %s\n",
			argv[1], strerror(-err));
		goto out;
	}

	/* Wait for SIGINT or SIGTERM, printing the totals every second. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);
	printf("forwarding %s -> %s, Ctrl-C to stop\n", argv[1], argv[2]);
	while (sigtimedwait(&stop_signals, NULL, &interval) < 0)
		print_totals(bpf_map__fd(skel->maps.fifo));
	err = 0;
out:
	/* Detach first, so nothing is queued any more. Destroying the
	 * skeleton cancels the timer; frames still queued are freed with
	 * the map.
	 */
	if (link_fd >= 0)
		close(link_fd);
	xdpq_fifo_fwd__destroy(skel);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
