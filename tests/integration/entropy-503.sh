# SPDX-License-Identifier: BSD-3-Clause
# A failing entropy source gives 503, logged; keys are still served.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
: > "$T/empty-hwrng"
printf '[kpd]\nentropy_file = %s\n' "$T/empty-hwrng" >> "$SKIP_TESTBED_BOB_KPD_CONF"
"$TESTBED" stop "$T" bob > /dev/null
"$TESTBED" start "$T" bob > /dev/null
expect_exit 10 "GET /entropy with a dry source is 503" bob entropy
expect_match "... named by skip-tool" "$T/err" 'http-503'
expect_match "... logged by the KP" "$T/bob/kpd.log" 'GET /entropy: .*empty-hwrng gave 0 of 32 bytes'
expect_exit 0 "keys are still served" bob key Alice
finish
