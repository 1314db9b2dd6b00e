# xdpq: packet queueing and scheduling for XDP, on Linux 6.12.
#
#   make check        build everything, write the series, run the selftests in a QEMU guest
#   make unit         the queue maps' ordering cores, natively, against models
#   make fuzz         libFuzzer on the ordering cores, FUZZ_SECONDS (60) each
#   make bench-native the ordering cores' native microbenchmark
#   make bench        the forwarding paths' benchmark in a QEMU guest, and its report
#   make bench-profile  instructions per frame by kernel function, in an icount guest
#   make run          the demo, in a QEMU guest
#   make shell        boot the guest to an interactive shell
#   make lint         checkpatch over patches/ and the new files
#   make patches      the whole project as a git format-patch series
#   make export-patches   write commits made in build/linux back to patches/
#   make verify-assembly  check that base + patches/ reproduces build/linux
#
# DEBUG=1 uses the debug kernel (KASAN, lockdep, kmemleak, ...);
# KERNEL_SRC=/path/to/linux-6.12.y uses that tree as the base.

SHELL := /bin/bash
REPO := $(CURDIR)
BUILD := $(REPO)/build
JOBS ?= $(shell nproc)

ifdef KERNEL_SRC
TREE := $(BUILD)/linux-src
SUFFIX := -src
else
TREE := $(BUILD)/linux
SUFFIX :=
endif
FRAGMENTS := harness/kconfig/xdpq.config
ifeq ($(DEBUG),1)
SUFFIX := $(SUFFIX)-debug
FRAGMENTS += harness/kconfig/debug.config
endif
KOBJ := $(BUILD)/kobj$(SUFFIX)
SELFTESTS := $(BUILD)/selftests$(SUFFIX)
BZIMAGE := $(KOBJ)/arch/x86/boot/bzImage
export KERNEL_SRC

.PHONY: all deps assemble config kernel selftests unit fuzz bench-native bench bench-profile check run \
	shell lint \
	patches export-patches verify-assembly clean

all: kernel selftests

deps:
	@harness/deps.sh

assemble: deps
	@harness/assemble.sh $(TREE)

config: assemble
	@harness/kconfig/configure.sh $(TREE) $(KOBJ) $(FRAGMENTS)

kernel: config
	@echo "xdpq: building the kernel in $(KOBJ)"
	@$(MAKE) -s -C $(TREE) O=$(KOBJ) -j$(JOBS) LOCALVERSION= bzImage

selftests: kernel
	@echo "xdpq: building test_progs in $(SELFTESTS)"
	@harness/selftests/build.sh $(TREE) $(KOBJ) $(SELFTESTS)
	@$(MAKE) -s -f harness/samples.mk TREE=$(TREE) LIBBPF_OUT=$(SELFTESTS) OUT=$(BUILD)/samples$(SUFFIX)
	@cp $(BUILD)/samples$(SUFFIX)/xdpq_shape $(SELFTESTS)/	# run by prog_tests/xdpq_shape.c

# The ordering cores compiled in user space (tools/testing/xdpq).
unit: assemble
	@$(MAKE) -s -C $(TREE)/tools/testing/xdpq run

FUZZ_SECONDS ?= 60
fuzz: assemble
	@$(MAKE) -s -C $(TREE)/tools/testing/xdpq fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FUZZ_DIR=$(BUILD)/fuzz

bench-native: assemble
	@mkdir -p $(BUILD)/bench
	@$(MAKE) -s -C $(TREE)/tools/testing/xdpq bench BENCH_CSV=$(BUILD)/bench/native.csv

# T=name runs only the matching tests (test_progs -t).
check: lint patches unit fuzz selftests
	@harness/selftests/check.sh $(BZIMAGE) $(SELFTESTS) $(if $(T),-t $(T))

run: selftests
	@$(MAKE) -s -C harness/demo TREE=$(TREE) LIBBPF_OUT=$(SELFTESTS) OUT=$(BUILD)/demo$(SUFFIX)
	@harness/guest/run.sh --timeout 900 --results $(BUILD)/demo-results$(SUFFIX) $(BZIMAGE) \
		$(BUILD)/demo$(SUFFIX)/xdpq_demo.sh $(BUILD)/demo$(SUFFIX) $(BUILD)/samples$(SUFFIX)
	@echo "xdpq: demo results and plot in $(BUILD)/demo-results$(SUFFIX)/"

# The guest benchmark after the native one (harness/bench): results, plots
# and the report in build/bench/. The native one runs first, before any
# build, whose writeback and cache traffic would time its larger queues.
# Two guests: the forwarding paths and the shaping count instructions on
# one thread (icount), and get the memory that a standing queue of 1M
# live frames, a 4 KiB page each, needs; the VM topologies, whose VMs,
# timers and NICs work in parallel, run in a guest whose vCPUs do too.
# The report runs on whatever the guests wrote, then their status is
# passed on.
BENCH_GUEST_MEM ?= 6G
bench: bench-native selftests
	@$(MAKE) -s -C harness/bench TREE=$(TREE) LIBBPF_OUT=$(SELFTESTS) OUT=$(BUILD)/bench
	@{ date -u; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-; \
		echo "$$(nproc) CPUs, load average before $$(cut -d' ' -f1-3 /proc/loadavg)"; } \
		>$(BUILD)/bench/host.txt
	@rm -rf $(BUILD)/bench/guest $(BUILD)/bench/guest-topo	# never report an earlier run
	@XDPQ_ICOUNT=1 XDPQ_GUEST_MEM=$(BENCH_GUEST_MEM) harness/guest/run.sh --timeout 1800 \
		--results $(BUILD)/bench/guest $(BZIMAGE) \
		$(BUILD)/bench/xdpq_bench.sh $(BUILD)/bench; rc=$$?; \
		XDPQ_ICOUNT=0 XDPQ_TCG_THREAD=multi harness/guest/run.sh --timeout 900 \
		--results $(BUILD)/bench/guest-topo $(BZIMAGE) \
		$(BUILD)/bench/bench_topo.sh $(BUILD)/bench /run/xdpq/results || \
		[ $$rc -ne 0 ] || rc=1; \
		echo "load average after $$(cut -d' ' -f1-3 /proc/loadavg)" >>$(BUILD)/bench/host.txt; \
		python3 harness/bench/xdpq_bench_report.py $(BUILD)/bench && exit $$rc

# Instructions per frame by kernel function (a TCG plugin counts them in an
# icount guest) in the steady state of PROFILE_CASES, the first one the
# baseline.
PROFILE_CASES ?= veth/devmap veth/fifo_64k veth/pifo_64k veth/rbtree_64k
PROFILE_FRAMES ?= 1048576
bench-profile: selftests
	@$(MAKE) -s -C harness/bench TREE=$(TREE) LIBBPF_OUT=$(SELFTESTS) OUT=$(BUILD)/bench
	@$(MAKE) -s -C harness/bench/profile OUT=$(BUILD)/profile
	@rm -rf $(BUILD)/profile/dump.* $(BUILD)/profile/guest
	@XDPQ_ICOUNT=1 XDPQ_QEMU_PLUGIN=$(BUILD)/profile/libxdpq_icount.so,out=$(BUILD)/profile/dump \
		harness/guest/run.sh --timeout 1800 --results $(BUILD)/profile/guest $(BZIMAGE) \
		harness/bench/profile/xdpq_profile.sh $(BUILD)/bench \
		$(PROFILE_FRAMES) $(PROFILE_CASES) >$(BUILD)/profile/run.txt
	@python3 harness/bench/profile/xdpq_profile.py $(BUILD)/profile | tee $(BUILD)/profile/report.txt

shell: kernel
	@harness/guest/run.sh --shell $(BZIMAGE)

lint: assemble
	@harness/lint.sh $(TREE)

patches: assemble
	@harness/format-series.sh $(TREE) $(BUILD)/series

export-patches:
	@harness/export-patches.sh $(TREE)

verify-assembly: assemble
	@harness/assemble.sh $(TREE) --check

clean:
	rm -rf $(BUILD)/kobj* $(BUILD)/selftests* $(BUILD)/demo* $(BUILD)/series
