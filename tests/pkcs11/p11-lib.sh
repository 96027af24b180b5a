# SPDX-License-Identifier: BSD-3-Clause
# Helpers for tests that load skip-pkcs11.so in separate processes through
# p11-client, one per site of skip-testbed.
. "$top_srcdir/tests/integration/lib.sh"

MODULE=${SKIP_TEST_MODULE:-$top_builddir/.libs/skip-pkcs11.so}
P11=$(built p11-client)
[ -f "$MODULE" ] || { echo "Bail out! $MODULE not built"; exit 1; }

# p11-client is built with the same sanitizers as the module, so it can
# dlopen an ASan build without preloading the runtime.
alice_p11() { SKIP_PKCS11_CONF=$SKIP_TESTBED_ALICE_MODULE_CONF "$P11" "$MODULE" "$@"; }
bob_p11() { SKIP_PKCS11_CONF=$SKIP_TESTBED_BOB_MODULE_CONF "$P11" "$MODULE" "$@"; }
p11_field() { sed -n "s/^$1 //p" "${2:-$T/out}"; }
