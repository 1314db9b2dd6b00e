# The programs of bench_shaping.sh and bench_topo.sh. harness/bench/Makefile
# includes this with TREE (the assembled tree), LIBBPF_OUT (the selftests
# build output, for libbpf and bpftool) and OUT (build/bench) set, and
# builds $(BENCH_EXTRA_TARGETS). On its own:
#
#   make -f harness/bench/bench_extra.mk TREE=build/linux LIBBPF_OUT=build/selftests OUT=build/bench
#
# The schedulers under test are compiled from the tree's samples/bpf into
# skeletons of their own names here, so these rules share no target with
# the including Makefile.
BENCH_EXTRA_STANDALONE := $(filter 1,$(words $(MAKEFILE_LIST)))
ifneq ($(BENCH_EXTRA_STANDALONE),)
LIBBPF_OUT ?= $(error LIBBPF_OUT: the selftests build output)
OUT ?= $(error OUT: where to build)
TREE ?= $(error TREE: the assembled kernel tree)
endif
BENCH_EXTRA_SRC := $(dir $(lastword $(MAKEFILE_LIST)))
BENCH_EXTRA_SAMPLES = $(TREE)/samples/bpf
BENCH_EXTRA_BPFTOOL = $(LIBBPF_OUT)/tools/sbin/bpftool
BENCH_EXTRA_LIBBPF = $(LIBBPF_OUT)/tools/build/libbpf/libbpf.a
BENCH_EXTRA_INCLUDES = -I$(OUT) -I$(BENCH_EXTRA_SRC) -I$(LIBBPF_OUT)/tools/include \
	-I$(TREE)/tools/include/uapi -I$(BENCH_EXTRA_SAMPLES)

BENCH_EXTRA_TARGETS += $(OUT)/bench_shaping_run $(OUT)/bench_topo_run

# bench_extra_bpf NAME,SOURCE,HEADERS: NAME.bpf.o from SOURCE and its skeleton NAME
define bench_extra_bpf
$(OUT)/$(1).bpf.o: $(2) $(3)
	@mkdir -p $$(@D)
	clang-19 -g -O2 -Wall --target=bpf $$(BENCH_EXTRA_INCLUDES) -c $$< -o $$@

$(OUT)/$(1).skel.h: $(OUT)/$(1).bpf.o
	$$(BENCH_EXTRA_BPFTOOL) gen skeleton $$< name $(1) >$$@
endef

$(eval $(call bench_extra_bpf,bench_shaping_kern,$(BENCH_EXTRA_SRC)bench_shaping_kern.bpf.c,\
	$(BENCH_EXTRA_SRC)bench_shaping_frame.h))
$(eval $(call bench_extra_bpf,bench_shaping_hier,$(BENCH_EXTRA_SAMPLES)/xdpq_hier.bpf.c,\
	$(wildcard $(BENCH_EXTRA_SAMPLES)/xdpq_sched*.h)))
$(eval $(call bench_extra_bpf,bench_topo_kern,$(BENCH_EXTRA_SRC)bench_topo_kern.bpf.c,\
	$(BENCH_EXTRA_SRC)bench_topo_frame.h))
$(eval $(call bench_extra_bpf,bench_topo_fifo,$(BENCH_EXTRA_SAMPLES)/xdpq_fifo_fwd.bpf.c,))

$(OUT)/bench_shaping_run: $(BENCH_EXTRA_SRC)bench_shaping_run.c \
		$(BENCH_EXTRA_SRC)bench_shaping_frame.h \
		$(OUT)/bench_shaping_kern.skel.h $(OUT)/bench_shaping_hier.skel.h
	$(CC) -O2 -Wall -Wextra $(BENCH_EXTRA_INCLUDES) $< -o $@ $(BENCH_EXTRA_LIBBPF) \
		-lelf -lz -lpthread

$(OUT)/bench_topo_run: $(BENCH_EXTRA_SRC)bench_topo_run.c $(BENCH_EXTRA_SRC)bench_topo_frame.h \
		$(OUT)/bench_topo_kern.skel.h $(OUT)/bench_topo_fifo.skel.h
	$(CC) -O2 -Wall -Wextra $(BENCH_EXTRA_INCLUDES) $< -o $@ $(BENCH_EXTRA_LIBBPF) \
		-lelf -lz -lpthread

ifneq ($(BENCH_EXTRA_STANDALONE),)
bench_extra: $(BENCH_EXTRA_TARGETS)
.DEFAULT_GOAL := bench_extra
.PHONY: bench_extra
.SECONDARY:
endif
