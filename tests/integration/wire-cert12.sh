# SPDX-License-Identifier: BSD-3-Clause
# The SKIP wire over cert12 (see wire.sh).
MODE=cert12
. "$top_srcdir/tests/integration/wire.sh"
