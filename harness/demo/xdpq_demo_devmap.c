// SPDX-License-Identifier: GPL-2.0
/* xdpq_demo_devmap: the demo's baseline forwarder; see
 * xdpq_demo_devmap.bpf.c.
 *
 * usage: xdpq_demo_devmap UPLINK SECONDS MAC=DEV...
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpq_demo_devmap.skel.h"

int main(int argc, char **argv)
{
	struct xdpq_demo_devmap *skel;
	unsigned int mac[6], i, j;
	unsigned char key[6];
	char dev[IF_NAMESIZE];
	int uplink, link, ifindex;

	if (argc < 4) {
		fprintf(stderr, "usage: %s UPLINK SECONDS MAC=DEV...\n", argv[0]);
		return 2;
	}
	skel = xdpq_demo_devmap__open_and_load();
	uplink = if_nametoindex(argv[1]);
	if (!skel || !uplink) {
		fprintf(stderr, "xdpq_demo_devmap: cannot load or no uplink %s\n", argv[1]);
		return 1;
	}
	for (i = 3; i < (unsigned int)argc; i++) {
		if (sscanf(argv[i], "%x:%x:%x:%x:%x:%x=%15s", &mac[0], &mac[1], &mac[2], &mac[3],
			   &mac[4], &mac[5], dev) != 7 || !(ifindex = if_nametoindex(dev))) {
			fprintf(stderr, "bad VM: %s\n", argv[i]);
			return 2;
		}
		for (j = 0; j < 6; j++)
			key[j] = mac[j];
		j = i - 3;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.vm_by_mac), key, &j, 0) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.vm_dev), &j, &ifindex, 0)) {
			perror("bpf_map_update_elem");
			return 1;
		}
	}
	link = bpf_link_create(bpf_program__fd(skel->progs.demo_devmap), uplink, BPF_XDP, NULL);
	if (link < 0) {
		perror("attach");
		return 1;
	}
	sleep(atoi(argv[2]));
	close(link);
	xdpq_demo_devmap__destroy(skel);
	return 0;
}
