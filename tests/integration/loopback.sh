# SPDX-License-Identifier: BSD-3-Clause
# A KP that lists itself as a peer serves /key/{keyId} for a key it just
# issued, once: single-KP test suites rely on it.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up --self-peer
expect_exit 0 "Alice issues a key for Alice" alice key Alice
id=$(json_field keyId)
fp=$(json_field keySha256)
expect_exit 0 "Alice serves it by keyId" alice key-by-id "$id" Alice
expect_eq "... the same key" "$(json_field keySha256)" "$fp"
expect_exit 6 "... once" alice key-by-id "$id" Alice
expect_exit 6 "Bob cannot fetch Alice's loopback key" bob key-by-id "$id" Alice
finish
