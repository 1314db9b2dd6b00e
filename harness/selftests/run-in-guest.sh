#!/bin/bash
# Runs inside the guest: the lean test_progs, with the DENYLIST, and any
# test_progs arguments given (e.g. -t xdpq_fifo).
#
# usage: run-in-guest.sh SELFTESTS_OUTPUT [TEST_PROGS_ARGS...]
set -u
cd "$1"
shift
ulimit -l unlimited
exec ./test_progs -d @DENYLIST.xdpq "$@"
