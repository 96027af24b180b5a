# SPDX-License-Identifier: BSD-3-Clause
# skip-tool's exit codes per failure class, and every malformed answer a
# hostile KP (openssl s_server serving files) can give.
. "$top_srcdir/tests/integration/lib.sh"
need perl

testbed_up
# Transport: nothing listens on a port we just freed.
expect_exit 3 "connection refused is a transport error" alice --url "https://127.0.0.1:$(free_port)" capabilities
expect_match "... named" "$T/err" '^skip-tool: transport:'
# Timeout: a stopped KP accepts TCP but never answers.
kill -STOP "$SKIP_TESTBED_ALICE_PID"
expect_exit 5 "a silent KP times out" alice --timeout-ms 500 capabilities
kill -CONT "$SKIP_TESTBED_ALICE_PID"
expect_match "... named" "$T/err" '^skip-tool: timeout:'
# The KP's own words reach the user.
expect_exit 6 "a size the KP refuses is HTTP 400" alice key Bob --size 4096
expect_match "... with the KP's message" "$T/err" \
    'HTTP 400 from https://[^ ]*: size must be a multiple of 8 in 128\.\.2048$'
expect_exit 1 "usage error" alice frobnicate
expect_exit 1 "bad KEYID" alice key-by-id xyz Bob
printf '[kp]\nurl = https://x\ncolour = red\n' > "$T/bad.conf"
expect_exit 2 "bad config line" "$TOOL" -c "$T/bad.conf" capabilities
expect_match "... named with its line" "$T/err" 'bad.conf:3: unknown option colour'
"$TESTBED" down "$T" > /dev/null

# A hostile KP: s_server -WWW answers each path with the file of that name.
start_hostile_kp
hostile() { "$TOOL" --url "https://127.0.0.1:$hostile_port" --tls cert --ca-file "$T/kp.crt" "$@"; }

K64=ad229dfb8a276e74c1f3b6c09349a69fb2fed73c541270663f0e5cbbfb031670
answer() { printf '%s' "$2" > "$T/www/$1"; }
n=0
bad_key() { # description, body
    n=$((n + 1))
    answer "key?remoteSystemID=Bad$n" "$2"
    expect_exit 12 "malformed answer: $1" hostile key "Bad$n"
    expect_match "... named" "$T/err" '^skip-tool: (malformed-answer|too-large):'
    expect_no_match "... without key bytes in the message" "$T/err" "$K64"
}
bad_key "not JSON" 'keyId=00'
bad_key "missing key" '{"keyId":"00"}'
bad_key "key not hex" '{"keyId":"00","key":"zz"}'
bad_key "key too short" '{"keyId":"00","key":"ad229dfb"}'
bad_key "keyId odd" "{\"keyId\":\"001\",\"key\":\"$K64\"}"
bad_key "key a number" '{"keyId":"00","key":5}'
bad_key "trailing bytes" "{\"keyId\":\"00\",\"key\":\"$K64\"}]"
perl -e 'print "{\"keyId\":\"00\",\"key\":\"", "0" x 70000, "\"}"' > "$T/www/key?remoteSystemID=Huge"
expect_exit 12 "body over 64 KiB" hostile key Huge
expect_match "... named" "$T/err" 'too-large'
answer "key/0011?remoteSystemID=Alice" "{\"keyId\":\"0012\",\"key\":\"$K64\"}"
expect_exit 12 "keyId other than asked" hostile key-by-id 0011 Alice
expect_match "... named" "$T/err" 'keyId other than asked'
answer capabilities '{"entropy":true,"key":true,"algorithm":"x","localSystemID":"A"}'
expect_exit 12 "capabilities without remoteSystemID" hostile capabilities
answer "entropy" '{"randomStr":"00","minentropy":256}'
expect_exit 12 "entropy shorter than minentropy" hostile entropy
finish
