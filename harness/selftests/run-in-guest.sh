#!/bin/bash
# Runs inside the guest: the lean test_progs, with the DENYLIST, and any
# test_progs arguments given (e.g. -t xdpq_fifo).
#
# usage: run-in-guest.sh SELFTESTS_OUTPUT TREE [TEST_PROGS_ARGS...]
#
# KERNEL_SRC tells tests where the kernel tree's tools are (the YNL client).
set -u
cd "$1"
export KERNEL_SRC=$2
shift 2
ulimit -l unlimited
exec ./test_progs -d @DENYLIST.xdpq "$@"
