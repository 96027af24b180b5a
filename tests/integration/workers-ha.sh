# SPDX-License-Identifier: BSD-3-Clause
# ha.sh with two workers serving each KP's connections: deliveries
# recorded in PostgreSQL from either worker's thread (worker.h).
SKIP_TESTBED_ARGS="--workers 2"
. "$top_srcdir/tests/integration/ha.sh"
