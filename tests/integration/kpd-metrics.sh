# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd's management listener: /metrics moves as requests are made (a
# request of each kind, then the counters read back), the exposition
# passes a strict reader (tests/metrics-check.py; promtool too, when
# installed), no keyId or key is in it, the management and SKIP listeners
# each refuse the other's paths, /readyz follows the ledger's disk, and
# the audit trail has one line per key event, in its documented schema,
# without a key.
. "$top_srcdir/tests/integration/lib.sh"
need curl
testbed_up

metrics() { # SITE: the exposition, checked, as "SERIES VALUE" lines in $T/m
    url=$SKIP_TESTBED_ALICE_METRICS_URL
    [ "$1" = bob ] && url=$SKIP_TESTBED_BOB_METRICS_URL
    curl -sf "$url/metrics" > "$T/m.raw" &&
        python3 "$top_srcdir/tests/metrics-check.py" < "$T/m.raw" > "$T/m"
}
value() { # SERIES: its value in $T/m, or "absent"
    awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print "absent" }' "$T/m"
}

# --- the exposition, before any request ----------------------------------
expect_exit 0 "Bob's /metrics passes the strict reader" metrics bob
expect_eq "... every route's 200 is there from the start" \
    "$(value 'skip_kpd_requests_total{route="key_by_id",status="200"}')" 0
expect_eq "... and the peer's delivered count" "$(value 'skip_kpd_keys_delivered_total{peer="Alice"}')" 0
expect_eq "... build info" "$(value 'skip_kpd_build_info{instance="0",key_source="prf",ledger="file",version="'"$(sed -n 's/^skip-kpd //p' <<V
$("$KPD" --version)
V
)"'"}')" 1
if command -v promtool > /dev/null 2>&1; then
    expect_exit 0 "promtool check metrics accepts it" sh -c "promtool check metrics < '$T/m.raw'"
fi
printf '# HELP x_total a\n# TYPE x_total counter\nx_total{a="b\\q"} 1\n' |
    python3 "$top_srcdir/tests/metrics-check.py" > "$T/reader.out"
expect_match "the reader itself refuses a bad escape" "$T/reader.out" 'bad escape'
printf '# HELP h a\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n' |
    python3 "$top_srcdir/tests/metrics-check.py" > "$T/reader.out"
expect_match "... and a histogram whose buckets decrease" "$T/reader.out" 'decrease'

# --- a request of each kind ---------------------------------------------------
alice capabilities > /dev/null
alice key Bob > "$T/k"
id=$(json_field keyId "$T/k")
bob key-by-id "$id" Alice > /dev/null
bob key-by-id "$id" Alice > /dev/null 2>&1          # already delivered
last=$(printf '%s' "$id" | cut -c32)
flip=$( [ "$last" = 0 ] && echo 1 || echo 0 )
forged=$(printf '%s' "$id" | cut -c1-31)$flip
bob key-by-id "$forged" Alice > /dev/null 2>&1      # MAC does not verify
bob raw GET "/key/zz?remoteSystemID=Alice" > /dev/null 2>&1   # malformed
bob raw GET "/key?remoteSystemID=Nobody" > /dev/null 2>&1     # no such peer
bob raw POST "/key?remoteSystemID=Alice" > /dev/null 2>&1     # 405
bob raw GET "/metrics" > "$T/skip-metrics.out" 2>&1          # not here
bob entropy 256 > /dev/null
echo "0x$(openssl rand -hex 32)" > "$T/wrong.psk"
bob --psk-file "$T/wrong.psk" capabilities > /dev/null 2>&1  # wrong PSK
curl -s -m 5 "http://127.0.0.1:${SKIP_TESTBED_BOB_URL##*:}/" > /dev/null 2>&1 # not TLS

expect_match "the SKIP listener refuses /metrics (404)" "$T/skip-metrics.out" '^status: 404'
expect_exit 0 "Bob's /metrics still passes the strict reader" metrics bob
for series in 'skip_kpd_requests_total{route="key_by_id",status="200"} 1' \
              'skip_kpd_requests_total{route="key_by_id",status="400"} 3' \
              'skip_kpd_requests_total{route="key",status="400"} 1' \
              'skip_kpd_requests_total{route="key",status="405"} 1' \
              'skip_kpd_requests_total{route="other",status="404"} 1' \
              'skip_kpd_requests_total{route="entropy",status="200"} 1' \
              'skip_kpd_keys_delivered_total{peer="Alice"} 1' \
              'skip_kpd_refusals_total{cause="already_delivered"} 1' \
              'skip_kpd_refusals_total{cause="forged"} 1' \
              'skip_kpd_refusals_total{cause="bad_request"} 2' \
              'skip_kpd_refusals_total{cause="unauthorized"} 0' \
              'skip_kpd_tls_handshake_failures_total{reason="psk_mismatch"} 1' \
              'skip_kpd_tls_handshake_failures_total{reason="protocol"} 1' \
              'skip_kpd_ledger_records 1' \
              'skip_kpd_ledger_commit_duration_seconds_count 1' \
              'skip_kpd_key_source_ready 1'; do
    expect_eq "Bob: ${series% *}" "$(value "${series% *}")" "${series##* }"
done
expect_eq "... request latencies counted, one per answered request" \
    "$(value skip_kpd_request_duration_seconds_count)" 8
expect_eq "Bob: the open connections gauge is a number" \
    "$(value skip_kpd_connections_open | tr -d 0-9)" ""
expect_exit 0 "Alice's /metrics passes the strict reader" metrics alice
expect_eq "Alice: skip_kpd_keys_issued_total{peer=\"Bob\"}" \
    "$(value 'skip_kpd_keys_issued_total{peer="Bob"}')" 1
expect_eq "Alice: skip_kpd_requests_total{route=\"capabilities\",status=\"200\"}" \
    "$(value 'skip_kpd_requests_total{route="capabilities",status="200"}')" 1
expect_eq "Alice: the prf epoch of Bob's secret is shown" \
    "$(value 'skip_kpd_prf_epoch{peer="Bob"}' | tr -d 0-9)" ""
key=$(prf_key "$id" Alice Bob "$T/alice/peer-Bob.secret" 32)
curl -s "$SKIP_TESTBED_BOB_METRICS_URL/metrics" "$SKIP_TESTBED_ALICE_METRICS_URL/metrics" > "$T/both.raw"
expect_no_match "no keyId in the expositions" "$T/both.raw" "$id|$forged"
expect_no_match "... and no key" "$T/both.raw" "$key"

# --- the management listener's own paths -----------------------------------------
mgmt_status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "management: /healthz 200" "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/healthz")" 200
expect_eq "management: /readyz 200" "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/readyz")" 200
expect_eq "management: /key is not served (404)" \
    "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/key?remoteSystemID=Alice")" 404
expect_eq "management: /key/{keyId} is not served (404)" \
    "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/key/$id?remoteSystemID=Alice")" 404
expect_eq "management: /capabilities is not served (404)" \
    "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/capabilities")" 404
expect_eq "management: POST /metrics is refused (405)" \
    "$(mgmt_status -X POST "$SKIP_TESTBED_BOB_METRICS_URL/metrics")" 405
expect_eq "management: HEAD /metrics (200)" "$(mgmt_status -I "$SKIP_TESTBED_BOB_METRICS_URL/metrics")" 200
expect_eq "management: TLS to it is refused (plain HTTP)" \
    "$(mgmt_status -k "https://127.0.0.1:${SKIP_TESTBED_BOB_METRICS_URL##*:}/metrics")" 000
expect_match "the management listener is on loopback only" "$SKIP_TESTBED_BOB_KPD_CONF" \
    '^management_listen = 127\.0\.0\.1:'

# --- readiness follows the ledger's disk --------------------------------------------
SHIM="$top_builddir/.libs/libfaultfs.so"
"$TESTBED" stop "$T" bob > /dev/null
env LD_PRELOAD="$SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    FAULTFS_MATCH=delivered.log FAULTFS_CALLS=write FAULTFS_ERRNO=EROFS \
    FAULTFS_TRIGGER="$T/ro" FAULTFS_LOG="$T/faultfs.calls" "$TESTBED" start "$T" bob > /dev/null
. "$T/env"
expect_eq "restarted over a disk that will turn read-only: ready" \
    "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/readyz")" 200
# /readyz probes the disk at most once a second: the answer may lag by that.
readyz_becomes() { # STATUS: within 3 s
    i=0
    while [ "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/readyz")" != "$1" ] && [ $i -lt 30 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/readyz"
}
touch "$T/ro"
expect_eq "the ledger's disk read-only: /readyz 503" "$(readyz_becomes 503)" 503
curl -s "$SKIP_TESTBED_BOB_METRICS_URL/readyz" > "$T/readyz"
expect_match "... naming the ledger" "$T/readyz" 'the ledger cannot record deliveries'
expect_eq "... while /healthz stays 200" "$(mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/healthz")" 200
rm "$T/ro"
expect_eq "writable again: /readyz 200" "$(readyz_becomes 200)" 200
expect_ne "the probes so far were seen writing beside the ledger" \
    "$(grep -c '^write .*delivered\.log\.probe$' "$T/faultfs.calls")" 0
: > "$T/faultfs.calls"
start=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    mgmt_status "$SKIP_TESTBED_BOB_METRICS_URL/readyz" > /dev/null
done
took_s=$((($(date +%s%N) - start) / 1000000000 + 1))
probes=$(grep -c '^write .*delivered\.log\.probe$' "$T/faultfs.calls")
if [ "$probes" -le "$((took_s + 1))" ]; then
    ok "20 /readyz in $took_s s wrote $probes probe(s): at most one a second"
else
    not_ok "20 /readyz in $took_s s wrote $probes probes"
fi

# --- the audit trail -------------------------------------------------------------------
expect_exit 0 "every audit line matches the documented schema" \
    python3 "$top_srcdir/tests/audit-check.py" "$T/alice/audit.log" "$T/bob/audit.log"
expect_eq "Alice's trail: one key issued" "$(grep -c '"event":"issued"' "$T/alice/audit.log")" 1
expect_eq "Bob's trail: one delivered" "$(grep -c '"event":"delivered"' "$T/bob/audit.log")" 1
expect_match "... one refused as already delivered, with its keyId and client" "$T/bob/audit.log" \
    "\"event\":\"refused\".*\"client\":\"psk:bob-encryptor\",\"remote\":\"Alice\",\"keyId\":\"$id\",\"outcome\":\"already_delivered\",\"status\":400"
expect_match "... one refused as forged" "$T/bob/audit.log" "\"keyId\":\"$forged\",\"outcome\":\"forged\""
expect_match "... a malformed request without a keyId" "$T/bob/audit.log" '"keyId":null,"outcome":"bad_request"'
expect_no_match "no key in either trail" "$T/alice/audit.log" "$key"
expect_no_match "..." "$T/bob/audit.log" "$key"
mv "$T/bob/audit.log" "$T/bob/audit.log.1"
kill -HUP "$SKIP_TESTBED_BOB_PID"
wait_for "$T/bob/kpd.log" 'SIGHUP: reloaded'
bob key-by-id "$id" Alice > /dev/null 2>&1
expect_exit 0 "after a rotation and SIGHUP, lines go to a new file" wait_for "$T/bob/audit.log" 'already_delivered'
expect_eq "... and none to the old one (delivered, and four refused)" \
    "$(grep -c . "$T/bob/audit.log.1")" 5
finish
