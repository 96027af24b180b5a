# SPDX-License-Identifier: BSD-3-Clause
# tests/integration/workers-sources.sh over the etsi014 key source.
SKIP_TESTBED_ARGS="--key-source etsi014"
. "$top_srcdir/tests/integration/workers-sources.sh"
