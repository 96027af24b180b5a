# SPDX-License-Identifier: BSD-3-Clause
# System IDs of 255 bytes of UTF-8 through a real skip-kpd and skip-tool:
# two peers whose names differ only after byte 50 stay two in
# /capabilities, a key is issued for each by its full name, and a prefix
# names no peer (libinih once cut the names at about 44 bytes and merged
# them).
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
# 251 ASCII bytes and two é: 255 bytes
base=$(printf 'K%.0s' $(seq 251))
long_a="${base}éé"
long_b="$(printf '%s' "$base" | cut -c1-55)Q$(printf '%s' "$base" | cut -c57-)éé"
expect_eq "the names are 255 bytes" "$(printf '%s' "$long_a" | wc -c) $(printf '%s' "$long_b" | wc -c)" "255 255"
cp "$T/alice/peer-Bob.secret" "$T/alice/peer-a.secret"
cp "$T/alice/peer-Bob.secret" "$T/alice/peer-b.secret"
printf '[peer %s]\nsecret_file = %s\n[peer %s]\nsecret_file = %s\n' \
    "$long_a" "$T/alice/peer-a.secret" "$long_b" "$T/alice/peer-b.secret" \
    >> "$SKIP_TESTBED_ALICE_KPD_CONF"
expect_exit 0 "skip-kpd --check-config takes 255-byte peer names" \
    "$(built skip-kpd)" -c "$SKIP_TESTBED_ALICE_KPD_CONF" --check-config
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"

expect_exit 0 "/capabilities" alice capabilities
expect_match "... lists the first name whole" "$T/out" "\"$long_a\""
expect_match "... and the second, which differs after byte 50" "$T/out" "\"$long_b\""
expect_exit 0 "a key for the first, by its full name" alice key "$long_a"
id_a=$(json_field keyId)
expect_exit 0 "a key for the second" alice key "$long_b"
expect_ne "... another key" "$(json_field keyId)" "$id_a"
expect_exit 0 "a 50-byte prefix" alice raw GET "/key?remoteSystemID=$(printf '%s' "$base" | cut -c1-50)"
expect_eq "... names no peer" "$(raw_status)" 400
toolong="${long_a}x"
printf '[peer %s]\nsecret_file = %s\n' "$toolong" "$T/alice/peer-a.secret" \
    >> "$SKIP_TESTBED_ALICE_KPD_CONF"
expect_exit 1 "a 256-byte peer name is refused" \
    "$(built skip-kpd)" -c "$SKIP_TESTBED_ALICE_KPD_CONF" --check-config
expect_match "... at its line" "$T/err" "kpd.conf:$(wc -l < "$SKIP_TESTBED_ALICE_KPD_CONF" | awk '{ print $1 - 1 }'): "
finish
