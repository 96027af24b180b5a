# SPDX-License-Identifier: BSD-3-Clause
# The SKIP wire over psk12 (see wire.sh).
MODE=psk12
. "$top_srcdir/tests/integration/wire.sh"
