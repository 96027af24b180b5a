# SPDX-License-Identifier: BSD-3-Clause
# The SKIP wire over psk13 (see wire.sh).
MODE=psk13
. "$top_srcdir/tests/integration/wire.sh"
