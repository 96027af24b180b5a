# SPDX-License-Identifier: BSD-3-Clause
# No starvation before authentication. A slowloris from 127.0.0.2 holds
# more connections than max_connections, each sending a byte of a
# ClientHello a second, reopening what is closed; the encryptor on
# 127.0.0.1 still gets its keys within seconds each time. One address is
# held to max_connections_per_source. Out of file descriptors, the KP
# pauses accepting instead of spinning, its log stays short, and clients
# are still served.
. "$top_srcdir/tests/integration/lib.sh"
need python3
LORIS="$top_srcdir/tests/integration/slowloris.py"

restart_alice() { # [kpd] lines
    "$TESTBED" stop "$T" alice > /dev/null
    printf '[kpd]\n%b' "$1" >> "$SKIP_TESTBED_ALICE_KPD_CONF"
    mv "$T/alice/kpd.log" "$T/alice/kpd.log.$(date +%s%N)"
    "$TESTBED" start "$T" alice > /dev/null
    . "$T/env"
    port=${SKIP_TESTBED_ALICE_URL##*:}
}
# served_within SECONDS DESCRIPTION: Alice's encryptor gets a key in time.
served_within() {
    start=$(date +%s%N)
    timeout "$1" "$TOOL" -c "$SKIP_TESTBED_ALICE_TOOL_CONF" key Bob > "$T/out" 2> "$T/err"
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$rc" -eq 0 ] && ok "$2 ($ms ms)" || not_ok "$2: exit $rc after $ms ms: $(head -c 200 "$T/err")"
}

testbed_up
restart_alice 'max_connections = 32\nhandshake_timeout_s = 2\nrequest_timeout_s = 2\n'

# --- a slowloris of 100 connections against max_connections = 32 ---
python3 "$LORIS" "$port" 127.0.0.2 100 12 1 > "$T/loris.out" 2>&1 &
loris=$!
sleep 2
for round in 1 2 3 4 5 6; do
    served_within 5 "round $round under the slowloris: a key within 5 s"
    sleep 1
done
wait "$loris"
expect_match "the slowloris reopened connections as they were closed" "$T/loris.out" \
    '^opened ([1-9][0-9][0-9]+)$'
expect_match "the KP made room by closing handshakes" "$T/alice/kpd.log" \
    'closed [0-9]+ connection\(s\) to make room, the last one still in its handshake|past their deadline, the last one with no TLS handshake'
lines=$(wc -l < "$T/alice/kpd.log")
[ "$lines" -lt 100 ] && ok "... in $lines log lines" || not_ok "$lines log lines (limit 100)"

# --- one address, max_connections_per_source ---
restart_alice 'max_connections = 200\nmax_connections_per_source = 5\n'
python3 "$LORIS" "$port" 127.0.0.3 20 3 0 > "$T/loris.out" 2>&1 &
loris=$!
sleep 1.5
served_within 5 "another address is served beside one at its cap"
wait "$loris"
expect_match "the address past max_connections_per_source is refused, and logged" \
    "$T/alice/kpd.log" 'refused [0-9]+ connection\(s\): one address holds max_connections_per_source = 5'

# --- out of file descriptors ---
"$TESTBED" stop "$T" alice > /dev/null
printf '[kpd]\nmax_connections = 1000\nmax_connections_per_source = 1000\n' \
    >> "$SKIP_TESTBED_ALICE_KPD_CONF"
mv "$T/alice/kpd.log" "$T/alice/kpd.log.nofile"
(ulimit -n 48 && "$TESTBED" start "$T" alice > /dev/null)
. "$T/env"
expect_match "a descriptor limit below max_connections is said at start" "$T/alice/kpd.log" \
    'max_connections = 1000 needs 1064 file descriptors and RLIMIT_NOFILE allows 48: raise LimitNOFILE'
python3 "$LORIS" "$port" 127.0.0.2 200 6 0 > "$T/loris.out" 2>&1 &
loris=$!
sleep 2
served_within 10 "out of descriptors, the encryptor is still served within 10 s"
wait "$loris"
expect_match "the KP paused accepting, and said why" "$T/alice/kpd.log" \
    'accept: Too many open files \([0-9]+ times, [0-9]+ connections open\): pausing 100 ms'
lines=$(wc -l < "$T/alice/kpd.log")
[ "$lines" -lt 100 ] && ok "... in $lines log lines" || not_ok "$lines log lines (limit 100)"
finish
