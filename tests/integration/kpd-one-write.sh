# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd sends each reply as one TLS record in one write(2): status
# line, headers and body are written into one locked buffer and queued as
# one chain. 200 keys over one kept-alive connection take 200 writes, not
# 400. And each reply is written as soon as it is made, not after a turn
# of the loop that waits for the socket to be reported writable: that
# would cost two epoll_ctl per reply (ask for writability, stop asking).
. "$top_srcdir/tests/integration/lib.sh"
need strace

testbed_up
alice key Bob > /dev/null # the handshake's writes come before the count
strace -f -e trace=write,epoll_ctl -o "$T/writes" -p "$SKIP_TESTBED_ALICE_PID" 2> "$T/strace.err" &
tracer=$!
i=0
until grep -q 'attached' "$T/strace.err" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
done
expect_exit 0 "200 keys on one connection" alice --repeat 200 key Bob
expect_match "... over one connection" "$T/err" '200 requests over 1 connections'
sleep 0.3
kill "$tracer"
wait "$tracer" 2> /dev/null
# Writes to the connection: not the log's (fd 2, a line per delivery),
# nor the audit trail's (a JSON line per key, in a write of its own).
audit=$(grep -c '^[0-9]* *write([0-9]*, "{\\"time\\":' "$T/writes")
writes=$(grep '^[0-9]* *write(' "$T/writes" | grep -v 'write(2, ' | grep -vc '"{\\"time\\":')
expect_eq "... and one audit line per key, each in one write" "$audit" 200
# 200 replies and the new connection's handshake (a few records).
if [ "$writes" -ge 200 ] && [ "$writes" -le 206 ]; then
    ok "one write per reply ($writes writes for 200 replies and a handshake)"
else
    not_ok "one write per reply: $writes writes for 200 replies"
fi
# A handful for the connection's arrival and end; 400 if each reply waited.
ctls=$(grep -c '^[0-9]* *epoll_ctl(' "$T/writes")
if [ "$ctls" -le 20 ]; then
    ok "replies written at once ($ctls epoll_ctl for 200 replies)"
else
    not_ok "replies written at once: $ctls epoll_ctl for 200 replies"
fi
finish
