# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd in front of a QKD network (key_source = etsi014): each site's KP
# is an SAE of its KME in the fake pair (tests/kme/fake-kme.py, written
# from ETSI GS QKD 014), switched through the behaviours real KMEs show.
# Every one gives a SKIP answer and one log line, never a key twice and
# never a key in a log.
. "$top_srcdir/tests/integration/lib.sh"
need python3

testbed_up --key-source etsi014
modes=$SKIP_TESTBED_KME_DIR/modes
requests=$SKIP_TESTBED_KME_DIR/requests.log
mode() { echo "$*" > "$modes"; }
key_id_of() { sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p' "${1:-$T/out}"; }
sha_of() { sed -n 's/.*"keySha256":"\([0-9a-f]*\)".*/\1/p' "${1:-$T/out}"; }
# the KP's log lines since the mark
mark() { wc -l < "$T/$1/kpd.log" > "$T/$1.mark"; }
since() { tail -n +"$(($(cat "$T/$1.mark") + 1))" "$T/$1/kpd.log"; }
term_alice() { # SIGTERM, and the drain (5 s at most) and exit, waited for
    kill -TERM "$SKIP_TESTBED_ALICE_PID"
    i=0
    while kill -0 "$SKIP_TESTBED_ALICE_PID" 2> /dev/null && [ "$i" -lt 200 ]; do
        i=$((i + 1)); sleep 0.05
    done
    "$TESTBED" stop "$T" alice > /dev/null
}
key_across_sigterm() { # a /key at Alice, SIGTERM half a second in: its exit status
    alice key Bob > "$T/pending.out" 2>&1 &
    pending=$!
    sleep 0.5
    term_alice
    wait "$pending"
}
wait_since() { # SITE ERE: until a line since the mark matches (15 s at most)
    i=0
    until since "$1" | grep -Eq "$2"; do
        i=$((i + 1)); [ "$i" -lt 300 ] || return 1; sleep 0.05
    done
}

wait_for "$T/alice/kpd.log" 'KME https://[^ ]* is available$' ||
    not_ok "Alice's KP saw its KME answer"
expect_exit 0 "capabilities" alice capabilities
expect_match "... the ETSI 014 source, and keys" "$T/out" '"key":true,"algorithm":"ETSI-GS-QKD-014"'

# --- the chain --------------------------------------------------------------
expect_exit 0 "A: a key for Bob" alice key Bob --reveal-key
cp "$T/out" "$T/a.json"
id=$(key_id_of "$T/a.json")
expect_match "... whose keyId is the KME's UUID key_ID, 128 bits" /dev/stdin '^[0-9a-f]{32}$' <<EOF
$id
EOF
expect_match "... asked as JSON numbers, with Content-Type application/json" "$requests" \
    '^KME_A POST /api/v1/keys/bob-kp/enc_keys application/json \{"number":1,"size":256\}$'
expect_eq "... the key the KME made, unchanged" \
    "$(sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p' "$T/a.json")" "$(kme_key "$id" 32)"
expect_exit 0 "B: the same key by keyId" bob key-by-id "$id" Alice
expect_eq "... equal" "$(sha_of)" \
    "$(sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p' "$T/a.json" | perl -ne 'chomp; print pack("H*", $_)' | sha256sum | cut -d' ' -f1)"
expect_match "... asked of Bob's KME with the key_ID" "$requests" \
    "^KME_B POST /api/v1/keys/alice-kp/dec_keys application/json \\{\"key_IDs\":\\[\\{\"key_ID\":\"$(kme_key_id "$id")\"\\}\\]\\}\$"
expect_exit 6 "B: the same keyId again: 400" bob key-by-id "$id" Alice
expect_exit 6 "B: a keyId no key_ID encodes to: 400" bob key-by-id 01aa Alice
expect_match "... logged" "$T/bob/kpd.log" 'keyId 01aa: keyId encodes no ETSI 014 key_ID'

expect_exit 0 "A: 512 bits" alice key Bob --size 512
expect_match "... 512 bits" "$T/out" '"bits":512'
expect_exit 6 "A: 2048 bits, over what the KME's status offers: 400" alice key Bob --size 2048
expect_match "... naming the KME's range" "$T/err" "size must be within the KME's 64..1024 bits"

# --- a KME that repeats ------------------------------------------------------
mode repeat-delivery
expect_exit 0 "A: a key" alice key Bob
id=$(key_id_of)
expect_exit 0 "B: fetched once" bob key-by-id "$id" Alice
mark bob
expect_exit 6 "B: the KME hands it out again, the KP does not" bob key-by-id "$id" Alice
expect_match "... (the ledger's word)" /dev/stdin "keyId $id: keyId already delivered" <<EOF
$(since bob)
EOF
mode repeat-enc
mark alice
expect_exit 9 "A: the KME hands out the key_ID it made last again: 500" alice key Bob
expect_match "... logged" /dev/stdin 'was handed out before: the KME repeats keys' <<EOF
$(since alice)
EOF

# --- sizes and forms ----------------------------------------------------------
mode ignore-size
expect_exit 9 "A: 512 bits from a KME that ignores size: 500" alice key Bob --size 512
expect_match "... naming the size it got" "$T/alice/kpd.log" 'a key of 256 bits for 512 asked'
mode short-key
expect_exit 9 "A: a key shorter than asked: 500" alice key Bob
mode upper-ids
expect_exit 0 "A: an upper-case UUID key_ID" alice key Bob
id=$(key_id_of)
expect_eq "... travels tagged (00, the 36 bytes)" "${#id}" 74
expect_exit 0 "B: and comes back exactly" bob key-by-id "$id" Alice
mode other-ids extensions
expect_exit 0 "A: a key_ID that is no UUID, extension members around it" alice key Bob
id=$(key_id_of)
expect_exit 0 "B: found" bob key-by-id "$id" Alice
expect_eq "... the key the KME made" "$(sha_of)" \
    "$(printf '%s' "$(kme_key "$id" 32)" | perl -ne 'chomp; print pack("H*", $_)' | sha256sum | cut -d' ' -f1)"

# --- a KME that refuses or misbehaves -----------------------------------------
mode
expect_exit 0 "A: a key" alice key Bob
id=$(key_id_of)
mode wrong-id
expect_exit 9 "B: the KME answers another key_ID: 500" bob key-by-id "$id" Alice
expect_match "... logged" "$T/bob/kpd.log" "answered key_ID .* for $(kme_key_id "$id"); refused"
for m in unknown-401 unknown-500 html-errors; do
    mode "$m"
    expect_exit 6 "B ($m): an unknown keyId is a 400" bob key-by-id 00000000000000000000000000000001 Alice
done
expect_match "... with the KME's HTML, escaped, in the log" "$T/bob/kpd.log" \
    'dec_keys: HTTP 400: <html><body><h1>400</h1>'
mode unknown-500 status-down
expect_exit 9 "B: 500 from dec_keys while the KME's status fails too: 500" \
    bob key-by-id 00000000000000000000000000000002 Alice
expect_match "... logged" "$T/bob/kpd.log" 'dec_keys answered 500, and status: HTTP 503'
mode garbage
expect_exit 9 "A: an answer that is not JSON: 500" alice key Bob
expect_match "... logged" "$T/alice/kpd.log" 'malformed key container: not JSON'
mode huge
expect_exit 9 "A: a 10 MB answer: 500" alice key Bob
expect_match "... logged" "$T/alice/kpd.log" 'enc_keys: too-large: answer over the body limit'
mode drop
expect_exit 9 "A: a KME that drops the connection: 500" alice key Bob
mode

# --- pools -------------------------------------------------------------------
mode refill:2
: > "$requests"
expect_exit 0 "A: a pool that refills after two refusals: the key comes" alice key Bob
expect_eq "... after three enc_keys" "$(grep -c 'enc_keys' "$requests")" 3
mode empty-pool
expect_exit 9 "A: an empty pool: 500 after pool_wait_ms" alice key Bob
expect_match "... logged" "$T/alice/kpd.log" "the KME's key pool is empty; still so after [0-9]+ ms"
mode

# --- the loop never waits on the KME -----------------------------------------
mode slow:3000
alice key Bob > "$T/slow.out" 2>&1 &
slow=$!
sleep 0.5
start=$(date +%s%N)
expect_exit 0 "A: capabilities while a /key waits 3 s on the KME" alice capabilities
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 2500 ] && ok "... answered before the KME's 3 s ($elapsed_ms ms)" ||
    not_ok "... answered before the KME's 3 s ($elapsed_ms ms)"
wait "$slow"
expect_eq "... and the slow /key is served" "$?" 0
mode

# --- SIGTERM while a /key waits on the KME: answered, then a clean exit ---------
mode slow:2000
key_across_sigterm && got=0 || got=$?
[ "$got" -eq 0 ] || [ "$got" -eq 9 ] && ok "SIGTERM with a /key waiting on the KME: it is answered ($got)" ||
    not_ok "SIGTERM with a /key waiting on the KME: it is answered (exit $got: $(cat "$T/pending.out"))"
expect_match "... and the KP stops" "$T/alice/kpd.log" '^skip-kpd: info: stopped$'
# A KME slower than the drain (5 s): the request still waiting is ended by
# the source at exit, which must not touch what it already freed (the
# sanitizers read the log at cleanup).
sed -i 's/^\[kme\]$/[kme]\ntimeout_ms = 20000/' "$SKIP_TESTBED_ALICE_KPD_CONF"
mode slow:8000
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
key_across_sigterm && got=0 || got=$?
[ "$got" -ne 0 ] && ok "SIGTERM with a /key waiting past the drain: no key ($got)" ||
    not_ok "SIGTERM with a /key waiting past the drain: no key"
expect_eq "... and the KP stops once" "$(grep -c '^skip-kpd: info: stopped$' "$T/alice/kpd.log")" 2
sed -i '/^timeout_ms = 20000$/d' "$SKIP_TESTBED_ALICE_KPD_CONF"
mode
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"

# --- prefetch: keys asked ahead serve /key without the KME ----------------------
"$TESTBED" stop "$T" alice > /dev/null
sed -i 's/^\[kme\]$/[kme]\nprefetch = 2/' "$SKIP_TESTBED_ALICE_KPD_CONF"
: > "$requests"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
i=0
until [ "$(grep -c '^KME_A POST .*enc_keys' "$requests")" -ge 2 ]; do
    i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
done
sleep 0.3 # the second answer on its way into the pool
mode drop
expect_exit 0 "prefetch = 2: a key while the KME drops every connection" alice key Bob
id1=$(key_id_of)
expect_exit 0 "... and a second" alice key Bob
id2=$(key_id_of)
expect_exit 9 "... then the pool is empty: 500" alice key Bob
mode
expect_exit 0 "B: the first prefetched key" bob key-by-id "$id1" Alice
expect_exit 0 "B: the second" bob key-by-id "$id2" Alice
expect_exit 0 "A: 512 bits go to the KME, past the pool of 256-bit keys" alice key Bob --size 512
expect_match "... 512 bits" "$T/out" '"bits":512'

# --- KME down, and back -------------------------------------------------------
"$TESTBED" stop "$T" kme > /dev/null
# What the pool took in before (prefetch = 2, refilled since the drop by
# its retry, whenever that ran) is still served; then the KME is needed.
n=0
while [ $n -lt 3 ] && alice key Bob > /dev/null 2>&1; do n=$((n + 1)); done
expect_exit 9 "A: KME down: 500 once the pool is spent" alice key Bob
expect_match "... logged with the KME, the call and the cause" "$T/alice/kpd.log" \
    'KME https://127\.0\.0\.1:[0-9]+ (GET|POST) /api/v1/keys/bob-kp/(status|enc_keys): transport: '
wait_for "$T/alice/kpd.log" 'KME https://[^ ]* is unavailable: ' 300 ||
    not_ok "Alice's KP notices its KME is gone"
expect_exit 0 "capabilities" alice capabilities
expect_match "... say key: false" "$T/out" '"key":false'
mark alice
"$TESTBED" start "$T" kme > /dev/null
. "$T/env"
wait_since alice 'KME https://[^ ]* is available$' || not_ok "Alice's KP sees its KME back"
expect_exit 0 "... and serves again" alice key Bob

# --- a KME still pairing with its peer after a start: not ready, not failed ----
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" stop "$T" kme > /dev/null
mode starting:4
mark alice
"$TESTBED" start "$T" kme > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
wait_since alice 'KME https://[^ ]* is unavailable: HTTP 503' ||
    not_ok "a KME pairing for 4 s after its start: the KP sees it unavailable"
expect_exit 0 "a KME pairing after its start: capabilities" alice capabilities
expect_match "... say key: false" "$T/out" '"key":false'
wait_since alice 'KME https://[^ ]* is available$' || not_ok "... until its status answers"
expect_exit 0 "... then keys" alice key Bob
mode

# --- a KP presenting another SAE's certificate: the KME says 401 ---------------
"$TESTBED" stop "$T" alice > /dev/null
sed -i 's#alice-kp\.\(crt\|key\)$#bob-kp.\1#' "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 9 "A: a KP with Bob's SAE certificate: 500" alice key Bob
expect_match "... logged with the KME's 401 and its words" "$T/alice/kpd.log" \
    'status: HTTP 401: SAE bob-kp is not attached to this KME'
"$TESTBED" stop "$T" alice > /dev/null
sed -i 's#bob-kp\.\(crt\|key\)$#alice-kp.\1#' "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"

# --- a full disk at the fetching KP: 500, no key, and the keyId still good -------
expect_exit 0 "A: a key" alice key Bob
id=$(key_id_of)
"$TESTBED" stop "$T" bob > /dev/null
expiry_ms="$(date +%s)000"
awk -v e="$((expiry_ms + 86400000))" 'BEGIN { for (i = 0; i < 309; i++) printf "%s %032x Alice\n", e, i }' \
    > "$T/bob/state/delivered.log" # 16377 bytes, 7 under the limit below
(ulimit -f 16 && "$TESTBED" start "$T" bob > /dev/null)
. "$T/env"
expect_exit 9 "B: a KP that cannot record the delivery: 500" bob key-by-id "$id" Alice
expect_no_match "... and no key in the answer" "$T/out" 'keySha256'
expect_match "... logged with the ledger's cause" "$T/bob/kpd.log" "keyId $id: ledger .*delivered.log"
"$TESTBED" stop "$T" bob > /dev/null
: > "$T/bob/state/delivered.log"
mode repeat-delivery # the KME gave the key out once already
"$TESTBED" start "$T" bob > /dev/null
. "$T/env"
expect_exit 0 "... with room again (and a KME that repeats), the keyId is delivered" \
    bob key-by-id "$id" Alice
mode

# --- no key in any log ---------------------------------------------------------
leaked=0
while read -r key_id key; do
    grep -rqi "$key" "$T"/*/kpd.log && leaked=$((leaked + 1))
done < "$SKIP_TESTBED_KME_DIR/keys.log"
expect_eq "no key the KME made appears in a KP's log" "$leaked" 0

# --- configuration ---------------------------------------------------------------
conf=$T/bad.conf
bad_conf() { # DESCRIPTION WANT: the last lines of the config replaced
    sed '/^\[kme\]/,$d' "$SKIP_TESTBED_ALICE_KPD_CONF" > "$conf"
    cat >> "$conf"
    expect_exit 1 "$1" "$KPD" -c "$conf" --check-config
    expect_match "... $2" "$T/err" "$2"
}
kme=$(sed -n '/^\[kme\]/,/^\[peer/p' "$SKIP_TESTBED_ALICE_KPD_CONF" | sed '$d')
bad_conf "a peer without sae_id" 'bad.conf:0: \[peer Bob\] needs sae_id' <<EOF
$kme
[peer Bob]
EOF
bad_conf "a [kme] without url" 'needs url in \[kme\]' <<EOF
$(echo "$kme" | grep -v '^url')
[peer Bob]
sae_id = bob-kp
EOF
bad_conf "an SAE ID that cannot go into a path" 'sae_id must be 1..128 of' <<EOF
$kme
[peer Bob]
sae_id = bob/kp
EOF
bad_conf "an http:// KME" 'url must be https://' <<EOF
$(echo "$kme" | sed 's|^url = https|url = http|')
[peer Bob]
sae_id = bob-kp
EOF
bad_conf "a key that is not the certificate's" 'key_file .*: not the key of cert_file' <<EOF
$(echo "$kme" | sed 's|alice-kp.key|bob-kp.key|')
[peer Bob]
sae_id = bob-kp
EOF
sed '/^key_source = /d; /^\[kme\]/,$d' "$SKIP_TESTBED_ALICE_KPD_CONF" > "$conf"
printf '[kme]\nurl = https://x\n[peer Bob]\nsecret_file = x\n' >> "$conf"
expect_exit 1 "[kme] with key_source = prf" "$KPD" -c "$conf" --check-config
expect_match "... says which source it goes with" "$T/err" '\[kme\] goes with key_source = etsi014'

# A KME whose certificate comes from another CA: TLS fails, 500, logged.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other-ca.key" -out "$T/other-ca.crt" -subj "/CN=other CA" -days 1 2>/dev/null
"$TESTBED" stop "$T" alice > /dev/null
sed -i "s|^ca_file = .*|ca_file = $T/other-ca.crt|" "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 9 "A: a KME certificate from another CA: 500" alice key Bob
expect_match "... logged as TLS" "$T/alice/kpd.log" 'status: tls: '
"$TESTBED" down "$T" > /dev/null

# KMEs that speak TLS 1.2 only
testbed_up --key-source etsi014 --kme-tls12-only
expect_exit 0 "TLS 1.2-only KMEs: a key at A" alice key Bob
expect_exit 0 "... the same at B" bob key-by-id "$(key_id_of)" Alice
finish
