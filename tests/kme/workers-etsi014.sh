# SPDX-License-Identifier: BSD-3-Clause
# etsi014.sh with two workers serving each KP's connections: requests to
# the KME start on either worker's thread, and their answers come back
# through the main loop (worker.h).
SKIP_TESTBED_ARGS="--workers 2"
. "$top_srcdir/tests/kme/etsi014.sh"
