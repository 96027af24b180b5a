# SPDX-License-Identifier: BSD-3-Clause
# workers-sources.sh over the PostgreSQL ledger.
SKIP_TESTBED_ARGS="--ledger postgresql"
. "$top_srcdir/tests/integration/workers-sources.sh"
