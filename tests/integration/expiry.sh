# SPDX-License-Identifier: BSD-3-Clause
# keyIds expire after key_lifetime_s.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up --key-lifetime 1
alice key Bob > "$T/k1"
alice key Bob > "$T/k2"
expect_exit 0 "fresh keyId is served" bob key-by-id "$(json_field keyId "$T/k1")" Alice
sleep 2
expect_exit 6 "expired keyId is 400" bob key-by-id "$(json_field keyId "$T/k2")" Alice
expect_match "Bob logs the expiry" "$T/bob/kpd.log" 'keyId expired'
finish
