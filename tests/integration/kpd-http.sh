# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd's own HTTP/1.1 layer, byte by byte over TLS (openssl s_client):
# framing, keep-alive and close, pipelining, bodies skipped, HEAD, and
# each malformed request answered with its status, logged, and closed.
. "$top_srcdir/tests/integration/lib.sh"
need openssl

testbed_up --tls cert13
# The encryptor's certificate: the KP requires one.
client_cert="-cert $T/alice/encryptor.crt -key $T/alice/encryptor.key"
port=${SKIP_TESTBED_ALICE_URL##*:}

# send NAME: writes stdin's bytes to Alice over TLS; the answer is in
# $T/NAME. The KP closes the connection after each of these requests.
send() {
    { cat; sleep 1; } |
        timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" \
            -CAfile "$T/ca.crt" $client_cert > "$T/$1" 2>/dev/null
}
# STATUS lines in $T/NAME (a body has no final newline, so the next
# status line may follow it on the same line).
statuses() { grep -o "HTTP/1.1 $2 " "$T/$1" | wc -l; }

printf 'GET /capabilities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | send plain
expect_match "a GET is answered 200" "$T/plain" '^HTTP/1.1 200 OK'
expect_match "... with its length" "$T/plain" '^Content-Length: [0-9]+'
expect_match "... no-store" "$T/plain" '^Cache-Control: no-store'
expect_match "... saying it closes, as asked" "$T/plain" '^Connection: close'
expect_match "... and the body" "$T/plain" '"localSystemID":"Alice"'

printf 'GET /capabilities HTTP/1.1\r\nHost: x\r\n\r\nGET /entropy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    send pipelined
expect_eq "two requests in one write get two answers" "$(statuses pipelined 200)" 2
expect_match "... the second one too" "$T/pipelined" '"randomStr":"'

printf 'GET /capabilities HTTP/1.0\r\n\r\n' | send http10
expect_match "HTTP/1.0 is answered" "$T/http10" '^HTTP/1.1 200 OK'
expect_match "... and closed without keep-alive" "$T/http10" '^Connection: close'

printf 'POST /capabilities HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcdeGET /capabilities HTTP/1.1\r\nConnection: close\r\n\r\n' |
    send body
expect_eq "a body is read and skipped: the next request is answered" \
    "$(statuses body 405) $(statuses body 200)" "1 1"

printf 'HEAD /capabilities HTTP/1.1\r\nConnection: close\r\n\r\n' | send head
expect_match "HEAD is 405" "$T/head" '^HTTP/1.1 405 '
expect_match "... with Allow: GET" "$T/head" '^Allow: GET'
expect_no_match "... and no body" "$T/head" '[{]'

# Malformed requests: status line, a log line, and the connection closes
# (send returns only once the KP has closed it, the pipe's sleep aside).
refused() { # NAME STATUS LOG-REGEX
    expect_match "$1: $2" "$T/$1" "^HTTP/1.1 $2 "
    expect_match "... logged" "$T/alice/kpd.log" "request refused: $2 $3"
    expect_match "... and closed" "$T/$1" '^Connection: close'
}
printf 'GET /capabilities HTTP/2.0\r\n\r\n' | send http2
refused http2 505 'only HTTP/1.1 and 1.0'
printf 'GET /capabilities\r\n\r\n' | send no-version
refused no-version 400 'malformed request line'
printf 'get /capabilities HTTP/1.1\r\n\r\n' | send lower-method
refused lower-method 400 'malformed method'
printf 'GET /capabilities HTTP/1.1\r\nNo colon here\r\n\r\n' | send no-colon
refused no-colon 400 'malformed header line'
printf 'GET /capabilities HTTP/1.1\r\n Folded: x\r\n\r\n' | send folded
refused folded 400 'malformed header line'
printf 'GET /capabilities HTTP/1.1\r\nContent-Length: x1\r\n\r\n' | send bad-length
refused bad-length 400 'malformed Content-Length'
printf 'GET /capabilities HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n' |
    send two-lengths
refused two-lengths 400 'malformed Content-Length'
printf 'GET /capabilities HTTP/1.1\r\nContent-Length: 2000\r\n\r\n' | send big-body
refused big-body 413 'request body over 1 KiB'
printf 'GET /capabilities HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' | send chunked
refused chunked 501 'request bodies in chunks'
printf 'GET /capa\000bilities HTTP/1.1\r\n\r\n' | send nul
refused nul 400 'NUL byte'
{ printf 'GET /capabilities HTTP/1.1\r\nX-Pad: '; head -c 9000 /dev/zero | tr '\0' a; } |
    send no-end
refused no-end 431 'request headers over 8 KiB'

expect_exit 0 "the KP still serves afterwards" alice capabilities
finish
