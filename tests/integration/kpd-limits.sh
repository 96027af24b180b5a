# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd's bounds: connection count (an idle connection makes room, busy
# ones do not), the request deadline, idle timeout, header size and
# request-target length.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up --tls cert13
# The encryptor's certificate: the KP requires one.
client_cert="-cert $T/alice/encryptor.crt -key $T/alice/encryptor.key"
# The idle timeout outlasts the request deadline, so a half-sent request
# is closed by its deadline (and says so), not by the idle timeout.
printf '[kpd]\nmax_connections = 2\nidle_timeout_s = 3\nrequest_timeout_s = 2\n' >> "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" stop "$T" alice > /dev/null
SKIP_KPD_DEBUG=http "$TESTBED" start "$T" alice > /dev/null
. "$T/env"
port=${SKIP_TESTBED_ALICE_URL##*:}

# hold N [BYTES]: a TLS connection that sends BYTES (nothing by default)
# and then waits, for up to 20 s.
hold() {
    { printf '%b' "${2:-}"; sleep 20; } | openssl s_client -brief \
        -connect "127.0.0.1:$port" -CAfile "$T/ca.crt" $client_cert > "$T/hold$1" 2>&1 &
    eval "holder$1=\$!"
}
stop_holders() { pkill -f "s_client -brief -connect 127.0.0.1:$port" 2>/dev/null; :; }
on_cleanup stop_holders
established() { grep -q 'CONNECTION ESTABLISHED' "$T/hold$1" 2>/dev/null; }
wait_established() {
    i=0
    until established "$1" && established "$2"; do
        i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
    done
}

# At max_connections = 2, two idle connections: the idlest makes room.
hold 1
hold 2
wait_established 1 2
expect_exit 0 "a third connection over max_connections = 2 is served" alice capabilities
expect_match "... an idle one closed for it, and logged" "$T/alice/kpd.log" \
    'at max_connections = 2: closed 1 connection\(s\) to make room, the last one idle'
stop_holders

# Two connections each in the middle of a request are busy: the third is
# refused, until request_timeout_s (2 s) ends them, whatever they send.
hold 3 'GET /capabilities HTTP/1.1\r\n'
hold 4 'GET /capabilities HTTP/1.1\r\n'
wait_established 3 4
sleep 0.5
alice capabilities > "$T/out" 2> "$T/err" && not_ok "a third connection beside two busy ones is served" ||
    ok "a third connection beside two busy ones is refused"
expect_match "... and logged" "$T/alice/kpd.log" \
    'refused 1 connection\(s\): 2 open, every one busy \(max_connections\)'
sleep 2.5
expect_match "requests not whole in request_timeout_s are closed" "$T/alice/kpd.log" \
    'closed [0-9]+ connection\(s\) past their deadline, the last one with a request not whole'
expect_exit 0 "... and then there is room" alice capabilities
stop_holders

# The idle timeout closes a silent connection.
hold 5
wait_established 5 5
sleep 4
if kill -0 "$holder5" 2>/dev/null; then
    not_ok "the idle connection was closed by the KP"
else
    ok "the idle connection was closed by the KP"
fi

# Headers over 8 KiB are not served; a normal request on the same path is.
request() { # extra header value
    { printf 'GET /capabilities HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\nConnection: close\r\n\r\n' "$1"
      sleep 1; } |
        timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" \
            -CAfile "$T/ca.crt" $client_cert 2>/dev/null
}
request small > "$T/small"
expect_match "a normal request is answered" "$T/small" 'localSystemID'
request "$(head -c 10000 /dev/zero | tr '\0' a)" > "$T/big"
expect_no_match "a request with 10 KB of headers is not served" "$T/big" 'localSystemID'

expect_match "accepted connections have TCP_NODELAY" "$T/alice/kpd.log" 'debug: http: connection TCP_NODELAY on'
expect_no_match "... never off" "$T/alice/kpd.log" 'TCP_NODELAY off'

pad=$(head -c 2100 /dev/zero | tr '\0' a)
expect_exit 0 "a 2100-byte request target" alice raw GET "/capabilities?pad=$pad"
expect_eq "... is 400" "$(raw_status)" 400
finish
