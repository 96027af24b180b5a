# SPDX-License-Identifier: BSD-3-Clause
# wire-psk13.sh with two workers serving each KP's connections (worker.h).
SKIP_TESTBED_ARGS="--workers 2"
. "$top_srcdir/tests/integration/wire-psk13.sh"
