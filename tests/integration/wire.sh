# SPDX-License-Identifier: BSD-3-Clause
# The SKIP wire end to end between two real skip-kpd over one TLS mode
# (MODE is set by the wire-<mode>.sh wrapper): key agreement, once-only
# delivery, every 4xx the API defines, and no key bytes in the KP logs.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up --tls "$MODE" --self-peer

# Alice issues, Bob fetches by keyId: the same key.
expect_exit 0 "Alice GET /key" alice key Bob
key_id=$(json_field keyId)
fp=$(json_field keySha256)
expect_match "keyId is 128 bits of lower-case hex" "$T/out" '"keyId":"[0-9a-f]{32}"'
expect_match "key is 256 bits" "$T/out" '"bits":256'
expect_exit 0 "Bob GET /key/{keyId}" bob key-by-id "$key_id" Alice
expect_eq "Bob's key equals Alice's (SHA-256)" "$(json_field keySha256)" "$fp"
expect_exit 6 "second fetch of the same keyId is 400" bob key-by-id "$key_id" Alice
expect_match "skip-tool names the 400" "$T/err" 'http-400'
expect_match "Bob logs why" "$T/bob/kpd.log" 'keyId already delivered'

# A keyId Bob never saw, accepted in upper case on the wire.
alice key Bob > "$T/k2"
id2=$(json_field keyId "$T/k2")
upper=$(echo "$id2" | tr a-f A-F)
expect_exit 0 "upper-case keyId in the path" bob raw GET "/key/$upper?remoteSystemID=Alice"
expect_eq "... is served (200)" "$(raw_status)" 200

# Forged ids: one flipped hex digit in the MAC, in the time, in the size.
alice key Bob > "$T/k3"
id3=$(json_field keyId "$T/k3")
for pos in 1 11 32; do
    c=$(echo "$id3" | cut -c"$pos")
    [ "$c" = 0 ] && n=1 || n=0
    forged=$(echo "$id3" | sed "s/./$n/$pos")
    expect_exit 6 "forged keyId (digit $pos changed) is 400" bob key-by-id "$forged" Alice
done
expect_match "Bob logs the forgery" "$T/bob/kpd.log" 'MAC does not verify|keyId from the future|keyId expired'
expect_exit 0 "the genuine keyId still works" bob key-by-id "$id3" Alice
expect_eq "... with Alice's key" "$(json_field keySha256)" "$(json_field keySha256 "$T/k3")"

# Malformed keyIds in the path.
for bad in zz abc 0g00 "$(printf '%0130d' 0)"; do
    expect_exit 0 "GET /key/$bad answers" bob raw GET "/key/$bad?remoteSystemID=Alice"
    expect_eq "... 400" "$(raw_status)" 400
done

# The right keyId asked with another remote (Bob also lists himself).
alice key Bob > "$T/k4"
expect_exit 6 "keyId asked with a different remote is 400" \
    bob key-by-id "$(json_field keyId "$T/k4")" Bob
expect_exit 0 "... and still served to the right remote" \
    bob key-by-id "$(json_field keyId "$T/k4")" Alice

# Request parameters.
expect_exit 0 "GET /key without remoteSystemID" alice raw GET /key
expect_eq "... 400" "$(raw_status)" 400
expect_match "... named in the body" "$T/out" '"error":"remoteSystemID missing"'
expect_match "... and in Alice's log" "$T/alice/kpd.log" 'info: GET /key: 400 remoteSystemID missing'
expect_match "malformed keyIds are logged" "$T/bob/kpd.log" 'info: GET /key/zz\?remoteSystemID=Alice: 400 malformed keyId'
expect_exit 6 "unknown remote is 400" alice key Eve
for size in 100 127 4096 abc; do
    expect_exit 0 "GET /key size=$size" alice raw GET "/key?remoteSystemID=Bob&size=$size"
    expect_eq "... 400" "$(raw_status)" 400
done
expect_match "bad sizes are logged" "$T/alice/kpd.log" 'GET /key\?remoteSystemID=Bob&size=100: 400 size must be'
expect_match "unknown remotes are logged" "$T/alice/kpd.log" 'GET /key\?remoteSystemID=Eve: 400 remoteSystemID unknown'
expect_exit 0 "size 128" alice key Bob --size 128 --reveal-key
expect_match "... gives 32 hex characters" "$T/out" '"key":"[0-9a-f]{32}"'
secret128=$(json_field key)

# Entropy.
expect_exit 0 "GET /entropy" alice entropy
expect_match "... 64 hex characters" "$T/out" '"randomStr":"[0-9a-f]{64}"'
expect_match "... minentropy 256" "$T/out" '"minentropy":256'
expect_exit 0 "GET /entropy?minentropy=128" alice raw GET "/entropy?minentropy=128"
expect_match "... minentropy 128" "$T/out" '"minentropy":128'
expect_match "... 32 hex characters" "$T/out" '"randomStr":"[0-9a-fA-F]{32}"'
expect_exit 0 "GET /entropy?minentropy=invalid" alice raw GET "/entropy?minentropy=invalid"
expect_eq "... 400" "$(raw_status)" 400
expect_match "... logged" "$T/alice/kpd.log" 'GET /entropy\?minentropy=invalid: 400 minentropy must be' 

# Paths and methods.
expect_exit 0 "unknown path" alice raw GET /keys
expect_eq "... 404" "$(raw_status)" 404
expect_match "... JSON error body" "$T/out" '^body: \{"error":"unknown path"\}$'
expect_match "... logged" "$T/alice/kpd.log" 'info: GET /keys: 404 unknown path'
expect_exit 0 "GET /capabilities raw" alice raw GET /capabilities
expect_match "... Content-Type: application/json" "$T/out" '^content-type: application/json$'
for method in POST PUT DELETE PATCH HEAD OPTIONS; do
    expect_exit 0 "$method /key" alice raw "$method" "/key?remoteSystemID=Bob"
    expect_eq "... 405" "$(raw_status)" 405
    expect_match "... with Allow: GET" "$T/out" '^allow: GET$'
done
expect_match "405s are logged" "$T/alice/kpd.log" 'info: PATCH /key\?remoteSystemID=Bob: 405 only GET is allowed'
expect_exit 0 "capabilities" alice capabilities
expect_match "... list Alice and her peers" "$T/out" \
    '"localSystemID":"Alice","remoteSystemID":\["Bob","Alice"\]'

# One kept-alive connection carries many requests.
expect_exit 0 "three keys in a row" alice --repeat 3 key Bob
expect_match "... over one connection" "$T/err" '3 requests over 1 connections'
expect_eq "... three different keyIds" "$(json_field keyId | sort -u | wc -l)" 3

# Keys never reach the KP logs.
expect_no_match "no key hex in Alice's log" "$T/alice/kpd.log" "$secret128"
finish
