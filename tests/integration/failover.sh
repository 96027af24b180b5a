# SPDX-License-Identifier: BSD-3-Clause
# A site's KPs as a list of URLs (url = A B, repeated url lines, or the
# old fallback_url): skip-tool and the module pass a request on to the
# next KP when one cannot be reached or fails (5xx), never on a 400, and
# name each URL tried. Bob's site here has two instances (one the
# testbed's, one started here with a copy of its config and secret) and
# a dead address.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
dead=https://127.0.0.1:$(free_port)

# --- a second Bob ---------------------------------------------------------------
mkdir -p "$T/bob2/state"
sed -e "s|^listen = .*|listen = 127.0.0.1:0|" -e "s|$T/bob/|$T/bob2/|g" \
    "$SKIP_TESTBED_BOB_KPD_CONF" > "$T/bob2/kpd.conf"
cp "$T/bob/kpd.psk" "$T/bob/peer-Alice.secret" "$T/bob2/"
"$KPD" -f -c "$T/bob2/kpd.conf" -p "$T/bob2/kpd.pid" 2> "$T/bob2/kpd.log" &
bob2_pid=$!
stop_bob2() { kill "$bob2_pid" 2> /dev/null; wait "$bob2_pid" 2> /dev/null; }
on_cleanup stop_bob2
wait_for "$T/bob2/kpd.log" 'ready' || { echo "Bail out! second Bob"; cat "$T/bob2/kpd.log"; exit 1; }
bob2=https://127.0.0.1:$(cat "$T/bob2/port")

# --- skip-tool --------------------------------------------------------------------
expect_exit 0 "skip-tool: a dead URL first, then Alice" alice --url "$dead $SKIP_TESTBED_ALICE_URL" capabilities
expect_match "... says which URL it tries next" "$T/err" "^skip-tool: trying $SKIP_TESTBED_ALICE_URL\$"
expect_match "... after the dead one's error" "$T/err" '^skip-tool: transport: '
expect_exit 0 "skip-tool: --url given twice adds" alice --url "$dead" --url "$SKIP_TESTBED_ALICE_URL" capabilities
sed "s|^url = .*|url = $dead\nfallback_url = $SKIP_TESTBED_ALICE_URL|" \
    "$SKIP_TESTBED_ALICE_TOOL_CONF" > "$T/fallback.conf"
expect_exit 0 "skip-tool: fallback_url, the old name, still a second URL" "$TOOL" -c "$T/fallback.conf" capabilities
expect_exit 2 "skip-tool: an http:// URL in the list" alice --url "$SKIP_TESTBED_ALICE_URL http://x" capabilities
expect_match "... is refused" "$T/err" 'url must start with https://'

alice key Bob > "$T/k"
id=$(json_field keyId "$T/k")
asked_bob2() { grep -c 'GET /key/' "$T/bob2/kpd.log"; }
before=$(asked_bob2)
expect_exit 6 "skip-tool: a 400 (no such key) at the first Bob is final" \
    bob --url "$SKIP_TESTBED_BOB_URL $bob2" key-by-id 00112233445566778899aabbccddeeff Alice
expect_eq "... the second Bob is not asked" "$(asked_bob2)" "$before"

# A Bob that cannot record deliveries answers 500: the next Bob delivers.
"$TESTBED" stop "$T" bob > /dev/null
expiry_ms="$(date +%s)000"
awk -v e="$((expiry_ms + 86400000))" 'BEGIN { for (i = 0; i < 309; i++) printf "%s %032x Alice\n", e, i }' \
    > "$T/bob/state/delivered.log"
(ulimit -f 16 && "$TESTBED" start "$T" bob > /dev/null)
. "$T/env"
expect_exit 0 "skip-tool: a 500 at the first Bob, the key from the second" \
    bob --url "$SKIP_TESTBED_BOB_URL $bob2" key-by-id "$id" Alice
expect_eq "... the same key" "$(json_field keySha256)" "$(json_field keySha256 "$T/k")"
expect_match "... the first Bob logged its failure" "$T/bob/kpd.log" "keyId $id: ledger "

# --- the module --------------------------------------------------------------------
sed "s|^url = .*|url = $dead $SKIP_TESTBED_ALICE_URL|" "$SKIP_TESTBED_ALICE_MODULE_CONF" \
    > "$T/alice-list.conf"
expect_exit 0 "module: a slot whose first URL is dead generates twice" \
    env SKIP_PKCS11_CONF="$T/alice-list.conf" SKIP_PKCS11_DEBUG=http "$P11" "$MODULE" \
    "keygen hmac" "keygen hmac"
expect_match "... switching once, naming both" "$T/err" \
    "slot Alice: $dead failed \\(transport: .*\\); trying $SKIP_TESTBED_ALICE_URL"
expect_eq "... then passing the dead one over" "$(grep -c 'failed (transport' "$T/err")" 1
sed "s|^url = .*|url = $dead\nfallback_url = $SKIP_TESTBED_ALICE_URL|" \
    "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/alice-fb.conf"
expect_exit 0 "module: fallback_url still works" \
    env SKIP_PKCS11_CONF="$T/alice-fb.conf" "$P11" "$MODULE" "keygen hmac"
dead2=https://127.0.0.1:$(free_port)
sed "s|^url = .*|url = $dead $dead2|" "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/alice-dead.conf"
expect_exit 1 "module: every URL dead: the call fails" \
    env SKIP_PKCS11_CONF="$T/alice-dead.conf" "$P11" "$MODULE" "keygen hmac"
expect_match "... with one line naming each URL tried" "$T/err" \
    "C_GenerateKey: slot Alice: $dead2 /capabilities: transport: .*\\(after $dead \\(transport\\)\\)"
sed "s|^url = .*|url = $SKIP_TESTBED_BOB_URL $bob2|" "$SKIP_TESTBED_BOB_MODULE_CONF" > "$T/bob-list.conf"
before=$(asked_bob2)
expect_exit 0 "module: a search for an unknown keyId at the first Bob" \
    env SKIP_PKCS11_CONF="$T/bob-list.conf" "$P11" "$MODULE" "find 00112233445566778899aabbccddee01"
expect_match "... finds nothing" "$T/out" '^found 0$'
expect_eq "... and the second Bob is not asked" "$(asked_bob2)" "$before"
finish
