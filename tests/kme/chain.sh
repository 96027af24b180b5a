# SPDX-License-Identifier: BSD-3-Clause
# tests/pkcs11/chain.sh as it is, over the etsi014 key source: each site's
# skip-kpd bridges to its KME of the fake pair (tests/kme/fake-kme.py).
SKIP_TESTBED_ARGS="--key-source etsi014"
. "$top_srcdir/tests/pkcs11/chain.sh"
