# SPDX-License-Identifier: BSD-3-Clause
# Bounded memory per connection: one authenticated client pipelines 80,000
# GET /entropy?minentropy=32768 (8 KiB answers) and reads nothing. skip-kpd
# stops reading it once its unsent replies pass a bound, so its memory
# grows by less than 16 MiB, and another client is still served.
. "$top_srcdir/tests/integration/lib.sh"
need python3

testbed_up --tls cert13
rss_kib() { awk "/^$1:/ { print \$2 }" "/proc/$SKIP_TESTBED_ALICE_PID/status"; }

cat > "$T/flood.py" <<'PY'
import socket, ssl, sys, time
port, ca, cert, key, count = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations(ca)
ctx.load_cert_chain(cert, key)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port))),
                    server_hostname="127.0.0.1")
req = b"GET /entropy?minentropy=32768 HTTP/1.1\r\nHost: kp\r\n\r\n"
s.settimeout(2)
sent = 0
try:
    while sent < int(count):
        s.sendall(req * 1000)
        sent += 1000
except (socket.timeout, TimeoutError):
    pass
print("sent", sent, flush=True)
time.sleep(4)  # holding the connection, reading nothing
PY

# A few requests first, so the baseline includes a served connection.
expect_exit 0 "a client is served" alice entropy 32768
rss_before=$(rss_kib VmRSS)
python3 "$T/flood.py" "$(cat "$T/alice/port")" "$T/ca.crt" \
    "$T/alice/encryptor.crt" "$T/alice/encryptor.key" 80000 > "$T/flood.out" 2>&1 &
flood=$!
i=0
until grep -q '^sent' "$T/flood.out"; do
    i=$((i + 1)); [ $i -lt 600 ] || break; sleep 0.05
done
expect_match "the flooder sent its requests" "$T/flood.out" '^sent [0-9]+'
sleep 1
rss_during=$(rss_kib VmRSS)
locked=$(rss_kib VmLck)
expect_exit 0 "... while another client is still served" alice key Bob
growth=$((rss_during - rss_before))
[ "$growth" -lt 16384 ] && ok "... and the KP grew by $growth KiB (< 16 MiB)" ||
    not_ok "the KP grew by $growth KiB (limit 16 MiB)"
[ "$locked" -lt 16384 ] && ok "... with $locked KiB locked (< 16 MiB)" ||
    not_ok "$locked KiB locked (limit 16 MiB)"
wait "$flood"
finish
