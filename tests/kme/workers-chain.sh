# SPDX-License-Identifier: BSD-3-Clause
# tests/kme/chain.sh with two workers serving each KP's connections: the
# etsi014 source's KME requests run on the main loop's thread (worker.c's
# to_main), the TLS on both.
SKIP_TESTBED_ARGS="--key-source etsi014 --workers 2"
. "$top_srcdir/tests/pkcs11/chain.sh"
