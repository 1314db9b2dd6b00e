# Compile the xdpq samples in samples/bpf (xdpq_*.bpf.c with their
# *_user.c) against the assembled tree's libbpf and bpftool, as built by
# the lean selftests, so `make check` proves they build.
LIBBPF_OUT ?= $(error LIBBPF_OUT: the selftests build output)
OUT ?= $(error OUT: where to build)
SRC := $(dir $(lastword $(MAKEFILE_LIST)))../samples/bpf
BPFTOOL := $(LIBBPF_OUT)/tools/sbin/bpftool
TREE ?= $(error TREE: the assembled kernel tree)
INCLUDES := -I$(OUT) -I$(LIBBPF_OUT)/tools/include -I$(TREE)/tools/include/uapi
LIBBPF_A := $(LIBBPF_OUT)/tools/build/libbpf/libbpf.a
BPF_OBJS := $(patsubst $(SRC)/%.bpf.c,%.bpf.o,$(wildcard $(SRC)/xdpq_*.bpf.c))
# Programs with a user space part; the others are loaded by selftests.
SAMPLES := $(patsubst $(SRC)/%_user.c,%,$(wildcard $(SRC)/xdpq_*_user.c)) xdpq_shape

all: $(addprefix $(OUT)/,$(BPF_OBJS) $(SAMPLES))

$(OUT)/%.bpf.o: $(SRC)/%.bpf.c $(wildcard $(SRC)/xdpq_*.h) | $(OUT)
	clang-19 -g -O2 -Wall --target=bpf $(INCLUDES) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* >$@

$(OUT)/%: $(SRC)/%_user.c $(OUT)/%.skel.h
	$(CC) -O2 -Wall -Wextra $(INCLUDES) $< -o $@ $(LIBBPF_A) -lelf -lz

# The shaping tool: xdpq_hier towards the VMs, xdpq_wfq towards the uplink
$(OUT)/xdpq_shape: $(SRC)/xdpq_shape.c $(SRC)/xdpq_sched_vm.h $(OUT)/xdpq_hier.skel.h \
		   $(OUT)/xdpq_wfq.skel.h
	$(CC) -O2 -Wall -Wextra $(INCLUDES) $< -o $@ $(LIBBPF_A) -lelf -lz

$(OUT):
	mkdir -p $@

.PHONY: all
.SECONDARY:
