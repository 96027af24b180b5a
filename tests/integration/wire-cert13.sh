# SPDX-License-Identifier: BSD-3-Clause
# The SKIP wire over cert13 (see wire.sh).
MODE=cert13
. "$top_srcdir/tests/integration/wire.sh"
