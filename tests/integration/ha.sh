# SPDX-License-Identifier: BSD-3-Clause
# Two skip-kpd instances per site on one PostgreSQL ledger: a keyId is
# delivered once across both, whichever is asked and however they race;
# the module and skip-tool reach the site through its URL list, and carry
# on through the survivor when one instance is killed.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"
need_postgresql
testbed_up --ledger postgresql --instances 2
set -- $SKIP_TESTBED_BOB_URLS
bob0=$1 bob1=$2
set -- $SKIP_TESTBED_BOB_PIDS
bob0_pid=$1
expect_eq "the env lists two Bob instances" "$#" 2
expect_ne "... on two ports" "$bob0" "$bob1"
expect_match "Bob's tool config lists both" "$SKIP_TESTBED_BOB_TOOL_CONF" "^url = $bob0 $bob1\$"

# --- once across instances -------------------------------------------------
alice key Bob > "$T/k1"
id=$(json_field keyId "$T/k1")
expect_exit 0 "instance 1 delivers a keyId Alice issued" bob --url "$bob1" key-by-id "$id" Alice
expect_eq "... the key Alice holds" "$(json_field keySha256)" "$(json_field keySha256 "$T/k1")"
expect_exit 6 "instance 0 then refuses it" bob --url "$bob0" key-by-id "$id" Alice
expect_match "... as already delivered (400)" "$T/err" 'HTTP 400'
expect_eq "the database holds one record for it" \
    "$(psql_site bob "SELECT count(*) FROM skip_kpd_delivered WHERE key_id = '\\x$id'")" 1
expect_exit 0 "a keyId issued by Alice's instance 1 is delivered by Bob's instance 0" \
    alice --url "$(echo "$SKIP_TESTBED_ALICE_URLS" | cut -d' ' -f2)" key Bob
id1=$(json_field keyId)
expect_match "... its keyId names instance 1 (byte 1)" /dev/stdin '^0101' <<ID
$id1
ID
expect_exit 0 "... and instance 0 delivers it" bob --url "$bob0" key-by-id "$id1" Alice

# --- the race: one keyId asked at both instances at once, many times ------
rounds=30
i=0
while [ $i -lt $rounds ]; do
    alice key Bob > "$T/race.k"
    rid=$(json_field keyId "$T/race.k")
    bob --url "$bob0" key-by-id "$rid" Alice > "$T/race.$i.0" 2> /dev/null &
    p0=$!
    bob --url "$bob1" key-by-id "$rid" Alice > "$T/race.$i.1" 2> /dev/null &
    p1=$!
    wait $p0; s0=$?
    wait $p1; s1=$?
    echo "$s0 $s1" >> "$T/race.status"
    i=$((i + 1))
done
expect_eq "$rounds races: each keyId delivered exactly once" \
    "$(awk '($1 == 0) + ($2 == 0) != 1' "$T/race.status" | wc -l)" 0
expect_eq "... and refused once (400), never failed" \
    "$(awk '($1 == 6) + ($2 == 6) == 1' "$T/race.status" | wc -l)" "$rounds"
expect_eq "... both instances won some" \
    "$(awk '$1 == 0 { a = 1 } $2 == 0 { b = 1 } END { print a + b }' "$T/race.status")" 2

# --- the module over the URL list --------------------------------------------
expect_exit 0 "module: Alice generates" alice_p11 "keygen hmac" "sign - ha-data"
cp "$T/out" "$T/a.out"
kid=$(p11_field keyid "$T/a.out")
sed "s|^url = .*|url = $bob1 $bob0|" "$SKIP_TESTBED_BOB_MODULE_CONF" > "$T/bob-10.conf"
expect_exit 0 "module: Bob finds it through instance 1 first" \
    env SKIP_PKCS11_CONF="$T/bob-10.conf" "$P11" "$MODULE" "find $kid" "sign $kid ha-data"
expect_eq "... found" "$(grep -c '^found 1$' "$T/out")" 1
expect_eq "... the same MAC" "$(p11_field mac)" "$(p11_field mac "$T/a.out")"
expect_exit 0 "module: a second search through instance 0 first" bob_p11 "find $kid"
expect_match "... finds nothing: a 400 stands, with no failover" "$T/out" '^found 0$'

# --- kill -9 one instance: the survivor carries the site -------------------
expect_exit 0 "module: Alice generates again" alice_p11 "keygen hmac"
kid=$(p11_field keyid)
kill -9 "$bob0_pid"
wait_for_dead() { i=0; while kill -0 "$1" 2> /dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; }
wait_for_dead "$bob0_pid"
start=$(date +%s%N)
expect_exit 0 "module: with instance 0 killed, Bob's search is served by instance 1" \
    env SKIP_PKCS11_DEBUG=http SKIP_PKCS11_CONF="$SKIP_TESTBED_BOB_MODULE_CONF" "$P11" "$MODULE" "find $kid"
took_ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "... found" "$(grep -c '^found 1$' "$T/out")" 1
expect_match "... after naming the dead instance" "$T/err" "$bob0 failed \\(transport"
# A generous liveness bound, not a speed claim: a refused connection is
# noticed at once, so the survivor answers within the second.
if [ "$took_ms" -lt 5000 ]; then ok "... within seconds ($took_ms ms)"; else not_ok "... took $took_ms ms"; fi
expect_exit 6 "the killed instance's survivor still refuses a delivered keyId" \
    bob --url "$bob1" key-by-id "$id" Alice
"$TESTBED" start "$T" bob:0 > /dev/null
. "$T/env"
expect_exit 6 "restarted, instance 0 still knows what instance 1 delivered" \
    bob --url "$bob0" key-by-id "$id1" Alice
finish
