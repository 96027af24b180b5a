# SPDX-License-Identifier: BSD-3-Clause
# ha.sh with two workers serving each instance's connections: the
# PostgreSQL ledger's calls run on the main loop's thread (worker.c's
# to_main), the TLS on both.
SKIP_TESTBED_ARGS="--workers 2"
. "$top_srcdir/tests/integration/ha.sh"
