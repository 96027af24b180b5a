# SPDX-License-Identifier: BSD-3-Clause
# tests/integration/demo.sh as it is, with `make demo DEMO_KEY_SOURCE=etsi014`:
# the IKEv2 PPK story with keys from the fake KME pair.
DEMO_KEY_SOURCE=etsi014
export DEMO_KEY_SOURCE
. "$top_srcdir/tests/integration/demo.sh"
