# SPDX-License-Identifier: BSD-3-Clause
# The PostgreSQL ledger when the database fails: stopped, restarted, a
# connection killed mid-transaction, a transaction that hangs, the
# database turned read-only, the disk under it turned read-only. Each answers 500 without a key, says so in
# one log line per cause, and recovers by itself; nothing is delivered
# twice and nothing recorded by a failed transaction is lost.
. "$top_srcdir/tests/integration/lib.sh"
need_postgresql
need curl
testbed_up --ledger postgresql
log=$T/bob/kpd.log
new_id() { alice key Bob > "$T/k" && json_field keyId "$T/k"; }
records() { psql_site bob "SELECT count(*) FROM skip_kpd_delivered WHERE key_id = '\\x$1'"; }
lines() { grep -c "$1" "$log"; }
# expect_500 DESCRIPTION KEYID: a delivery fails with 500 and no key.
expect_500() {
    expect_exit 9 "$1" bob key-by-id "$2" Alice
    expect_no_match "... and no key in the answer" "$T/out" 'keySha256|"key"'
}

# --- stopped ---------------------------------------------------------------
id=$(new_id)
"$TESTBED" stop "$T" pg > /dev/null
expect_500 "PostgreSQL stopped: a delivery gets 500" "$id"
expect_500 "... and so does the next" "$id"
sleep 1
expect_500 "... a second later too" "$id"
expect_match "the log says deliveries fail" "$log" 'ledger: PostgreSQL: .*; deliveries answer 500 until it is back'
n=$(lines 'deliveries answer 500')
# The lost connection, then each way a reconnect is refused while the
# server stops (shutting down, then no socket): never one cause twice.
repeated=$(grep 'deliveries answer 500' "$log" | sort | uniq -d | wc -l)
if [ "$n" -ge 1 ] && [ "$n" -le 3 ] && [ "$repeated" = 0 ]; then
    ok "... once per cause ($n lines: the lost connection, then the refused reconnects)"
else
    not_ok "... $n lines for one outage, $repeated repeated"
fi
"$TESTBED" start "$T" pg > /dev/null
expect_exit 0 "PostgreSQL started: the KP reconnects by itself" wait_for "$log" 'PostgreSQL is back' 200
expect_exit 0 "... and delivers the keyId the outage refused" bob key-by-id "$id" Alice
expect_eq "... the key Alice holds" "$(json_field keySha256)" "$(json_field keySha256 "$T/k")"
expect_exit 6 "... once" bob key-by-id "$id" Alice

# --- restarted ---------------------------------------------------------------
back=$(lines 'PostgreSQL is back')
"$TESTBED" stop "$T" pg > /dev/null
"$TESTBED" start "$T" pg > /dev/null
wait_for_count() { i=0; while [ "$(lines "$1")" -le "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; }
bob key-by-id "$(new_id)" Alice > /dev/null 2>&1 # may meet the old connection
wait_for_count 'PostgreSQL is back' "$back"
id=$(new_id)
expect_exit 0 "PostgreSQL restarted: the KP delivers again" bob key-by-id "$id" Alice
expect_eq "... one record" "$(records "$id")" 1

# --- a connection killed mid-transaction --------------------------------------
# Another session holds the table, so the KP's INSERT waits inside its
# transaction; that backend is then terminated: its transaction rolls back.
id=$(new_id)
psql_site bob "BEGIN; LOCK TABLE skip_kpd_delivered IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT" > /dev/null &
locker=$!
sleep 0.5
bob key-by-id "$id" Alice > "$T/killed.out" 2> "$T/killed.err" &
asker=$!
i=0
until [ "$(psql_site bob "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'skip-kpd' AND wait_event_type = 'Lock'")" = 1 ] || [ $i -ge 40 ]; do
    sleep 0.05
    i=$((i + 1))
done
expect_eq "the KP's INSERT waits on the lock" \
    "$(psql_site bob "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'skip-kpd' AND wait_event_type = 'Lock'")" 1
back=$(lines 'PostgreSQL is back')
psql_site bob "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'skip-kpd' AND wait_event_type = 'Lock'" > /dev/null
wait $asker
expect_eq "killed mid-transaction: the delivery got 500" "$?" 9
expect_no_match "... with no key" "$T/killed.out" 'keySha256'
wait $locker
expect_eq "... the killed transaction recorded nothing" "$(records "$id")" 0
wait_for_count 'PostgreSQL is back' "$back"
expect_exit 0 "... so the keyId is delivered after the reconnect" bob key-by-id "$id" Alice
expect_exit 6 "... once" bob key-by-id "$id" Alice

# --- a transaction that does not come back --------------------------------------
# The KP gives a query 5 s, then drops the connection: the delivery fails
# with 500 rather than hold its client. The abandoned backend may still
# commit once the lock goes; the outcome is then unknown to the KP, and
# the keyId counts as delivered (docs/ha.md): at most once, never twice.
id=$(new_id)
psql_site bob "BEGIN; LOCK TABLE skip_kpd_delivered IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(7); COMMIT" > /dev/null &
locker=$!
sleep 0.5
expect_500 "a hung INSERT: the delivery fails" "$id"
expect_exit 0 "... after the 5 s deadline, logged" wait_for "$log" 'no answer within 5 s; deliveries answer 500'
wait $locker
sleep 0.5
bob key-by-id "$id" Alice > /dev/null 2>&1
status=$?
if [ "$(records "$id")" = 1 ]; then want=6; else want=0; fi
expect_eq "... afterwards the KP's answer agrees with the database (record $(records "$id"))" "$status" "$want"
expect_exit 6 "... and the keyId is never delivered twice" bob key-by-id "$id" Alice

# --- read-only -------------------------------------------------------------------
# What a KP sees when its database turns read-only (a standby after a
# failover, or PostgreSQL on a disk it can no longer write).
id=$(new_id)
psql_site bob "ALTER SYSTEM SET default_transaction_read_only = on" > /dev/null
psql_site bob "SELECT pg_reload_conf()" > /dev/null
sleep 0.5
expect_500 "a read-only database: the delivery fails" "$id"
expect_match "... and the log names the cause" "$log" 'read-only transaction; deliveries answer 500'
expect_eq "... nothing recorded" "$(records "$id")" 0
readyz() { curl -s -o /dev/null -w '%{http_code}' "$SKIP_TESTBED_BOB_METRICS_URL/readyz"; }
expect_eq "... and /readyz says 503" "$(readyz)" 503
back=$(lines 'PostgreSQL is back')
psql_site bob "ALTER SYSTEM RESET default_transaction_read_only" > /dev/null
psql_site bob "SELECT pg_reload_conf()" > /dev/null
wait_for_count 'PostgreSQL is back' "$back"
expect_eq "writable again: /readyz turns 200 before any delivery tries" "$(readyz)" 200
expect_exit 0 "... and the same keyId is delivered" bob key-by-id "$id" Alice
expect_exit 6 "... once" bob key-by-id "$id" Alice
# --- the disk under PostgreSQL turns read-only -------------------------------
# PostgreSQL restarted over faultfs: while $PG/ro exists, every write and
# sync of its WAL fails with EROFS. It PANICs at the first commit and keeps
# failing its crash recovery until the disk is writable again.
PG=$SKIP_TESTBED_PG_DIR
"$TESTBED" stop "$T" pg > /dev/null
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_owner env LD_PRELOAD="$top_builddir/.libs/libfaultfs.so" FAULTFS_MATCH=/pg_wal/ \
    FAULTFS_CALLS=write,pwrite,fdatasync,fsync FAULTFS_ERRNO=EROFS FAULTFS_TRIGGER="$PG/ro" \
    "$SKIP_TESTBED_PG_BINDIR/pg_ctl" -D "$PG/data" -l "$PG/postgres.log" -w \
    -o "-k $PG -c listen_addresses= -p 5432" start > /dev/null
head -n 1 "$PG/data/postmaster.pid" > "$T/pg.pid" # for skip-testbed down
back=$(lines 'PostgreSQL is back')
bob key-by-id "$(new_id)" Alice > /dev/null 2>&1 # reconnect after the restart
wait_for_count 'PostgreSQL is back' "$back"
id=$(new_id)
touch "$PG/ro"
expect_500 "the disk under PostgreSQL read-only: the delivery fails" "$id"
expect_match "... PostgreSQL met the read-only disk" "$PG/postgres.log" 'Read-only file system'
expect_500 "... and the next delivery too, while it stays so" "$id"
back=$(lines 'PostgreSQL is back')
rm "$PG/ro"
wait_for_count 'PostgreSQL is back' "$back"
expect_exit 0 "writable again: PostgreSQL recovers, and the same keyId is delivered" \
    bob key-by-id "$id" Alice
expect_exit 6 "... once" bob key-by-id "$id" Alice

key=$(prf_key "$id" Alice Bob "$T/alice/peer-Bob.secret" 32)
expect_match "the last key recomputes from the shared secret" /dev/stdin '^[0-9a-f]{64}$' <<KEY
$key
KEY
expect_eq "... and is in no log" "$(cat "$T"/*/kpd.log "$SKIP_TESTBED_PG_DIR/postgres.log" | grep -ci "$key")" 0
finish
