// SPDX-License-Identifier: GPL-2.0
/* xdpq_forward: offer a burst of frames to a devmap redirect into eth0 and
 * report what eth1, on the same QEMU hub, received: the rate and the loss.
 *
 * usage: xdpq_forward TX_DEV RX_DEV FRAMES
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpq_forward.skel.h"

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned char frame[64] = { [12] = 0x88, [13] = 0xb5 };	/* local experimental ethertype */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = BATCH);
	struct xdp_md ctx = { .data_end = sizeof(frame) };
	struct xdpq_forward *skel;
	unsigned long long frames, sent = 0, seen, last = ~0ULL;
	int tx, rx, key = 0, err;
	double t0, t1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s TX_DEV RX_DEV FRAMES\n", argv[0]);
		return 2;
	}
	tx = if_nametoindex(argv[1]);
	rx = if_nametoindex(argv[2]);
	frames = strtoull(argv[3], NULL, 0);
	if (!tx || !rx) {
		fprintf(stderr, "xdpq_forward: no device %s\n", tx ? argv[2] : argv[1]);
		return 1;
	}
	memset(frame, 0xff, 6);		/* broadcast: the hub and eth1 take it */

	skel = xdpq_forward__open_and_load();
	if (!skel) {
		fprintf(stderr, "xdpq_forward: loading the programs failed: %s\n", strerror(errno));
		return 1;
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.tx_port), &key, &tx, 0);
	/* virtio-net transmits redirected frames only with an XDP program loaded. */
	err = err ?: bpf_xdp_attach(tx, bpf_program__fd(skel->progs.xdp_pass), XDP_FLAGS_DRV_MODE, NULL);
	err = err ?: bpf_xdp_attach(rx, bpf_program__fd(skel->progs.xdp_count_rx), XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "xdpq_forward: setup failed: %s\n", strerror(-err));
		goto out;
	}

	ctx.ingress_ifindex = tx;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	t0 = now();
	while (sent < frames) {
		opts.repeat = frames - sent < 65536 ? frames - sent : 65536;
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_redirect_out), &opts);
		if (err) {
			fprintf(stderr, "xdpq_forward: BPF_PROG_RUN: %s\n", strerror(-err));
			goto out;
		}
		sent += opts.repeat;
	}
	t1 = now();
	/* Let the receiver drain: stop once the count holds still. */
	while ((seen = skel->bss->rx_frames) != last) {
		last = seen;
		usleep(100000);
	}
	printf("offered   %llu frames in %.3f s: %.3f Mpps\n", sent, t1 - t0, sent / (t1 - t0) / 1e6);
	printf("received  %llu frames on %s: %.3f Mpps\n", seen, argv[2], seen / (t1 - t0) / 1e6);
	printf("dropped   %llu frames (%.1f %%)\n", sent - seen, 100.0 * (sent - seen) / sent);
out:
	bpf_xdp_detach(tx, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(rx, XDP_FLAGS_DRV_MODE, NULL);
	xdpq_forward__destroy(skel);
	return err ? 1 : 0;
}
