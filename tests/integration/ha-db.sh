# SPDX-License-Identifier: BSD-3-Clause
# The PostgreSQL ledger's administration: --init-db alone creates and
# migrates the versioned schema; a running instance refuses any other
# version, a second live instance with its number, and a database it
# cannot reach; config mistakes are named; a password never reaches a log.
. "$top_srcdir/tests/integration/lib.sh"
need_postgresql
testbed_up --ledger postgresql
conf=$SKIP_TESTBED_BOB_KPD_CONF
conninfo=$(sed -n 's/^ledger_conninfo = //p' "$conf")

records_of() { psql_site bob "SELECT count(*) FROM skip_kpd_delivered WHERE key_id = '\\x$1'"; }
# A KP of its own beside the testbed's, from a variant of Bob's config.
variant() { # name sed-expression
    mkdir -p "$T/$1/state"
    sed -e "s|^port_file = .*|port_file = $T/$1/port|" -e "s|^state_dir = .*|state_dir = $T/$1/state|" \
        -e "s|^listen = .*|listen = 127.0.0.1:0|" -e "/^management_/d" -e "/^audit_file/d" \
        -e "$2" "$conf" > "$T/$1/kpd.conf"
    cp "$T/bob/peer-Alice.secret" "$T/$1/"
    sed -i "s|^secret_file = .*|secret_file = $T/$1/peer-Alice.secret|" "$T/$1/kpd.conf"
}
# Runs it in the foreground for at most 10 s: exit status, stderr in $T/err.
run_variant() { expect_exit "$1" "$2" timeout 10 "$KPD" -f -c "$T/$3/kpd.conf"; }

# --- the schema ------------------------------------------------------------
expect_exit 0 "--init-db on a database at the current version" "$KPD" --init-db -c "$conf"
expect_match "... says there was nothing to do" "$T/out" 'already at version 1'
psql_site bob "CREATE DATABASE skip_fresh" > /dev/null
variant fresh "s|dbname=skip_bob|dbname=skip_fresh|"
run_variant 1 "a KP on a database without the schema refuses to start" fresh
expect_match "... and says how to make it" "$T/err" 'no skip-kpd schema: run skip-kpd --init-db'
expect_exit 1 "--check-config finds the same" "$KPD" --check-config -c "$T/fresh/kpd.conf"
expect_match "... in the same words" "$T/err" 'run skip-kpd --init-db'
"$KPD" --init-db -c "$T/fresh/kpd.conf" > "$T/init1.out" 2>&1 &
p1=$!
"$KPD" --init-db -c "$T/fresh/kpd.conf" > "$T/init2.out" 2>&1
s2=$?
wait $p1
s1=$?
expect_eq "two --init-db at once both succeed" "$s1 $s2" "0 0"
expect_eq "... one created the schema, the other found it done" \
    "$(cat "$T/init1.out" "$T/init2.out" | sort | tr '\n' '|')" \
    "skip-kpd: created the schema, version 1|skip-kpd: the database's schema is already at version 1|"
expect_exit 0 "--check-config passes once it exists" "$KPD" --check-config -c "$T/fresh/kpd.conf"

psql_site fresh "UPDATE skip_kpd_schema SET version = 2"
run_variant 1 "a schema newer than the binary: the KP refuses to start" fresh
expect_match "... and says to upgrade skip-kpd" "$T/err" 'schema is version 2, this skip-kpd.s is 1: upgrade skip-kpd'
expect_exit 1 "--init-db refuses to go back" "$KPD" --init-db -c "$T/fresh/kpd.conf"
expect_match "... naming both versions" "$T/err" 'version 2, newer than this skip-kpd.s \(1\)'
expect_eq "... and leaves the version alone" "$(psql_site fresh "SELECT version FROM skip_kpd_schema")" 2
psql_site fresh "UPDATE skip_kpd_schema SET version = 1"

# A running KP whose database is migrated under it stops delivering, says
# why once, and delivers again when the versions agree.
psql_site bob "UPDATE skip_kpd_schema SET version = 2"
psql_site bob "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'skip-kpd' AND datname = 'skip_bob'" > /dev/null
alice key Bob > "$T/k"
id=$(json_field keyId "$T/k")
expect_exit 9 "after a migration to a newer schema, a delivery gets 500" bob key-by-id "$id" Alice
expect_exit 0 "... and the log says why" wait_for "$T/bob/kpd.log" 'schema is version 2.*upgrade skip-kpd; deliveries answer 500'
psql_site bob "UPDATE skip_kpd_schema SET version = 1"
wait_for "$T/bob/kpd.log" 'PostgreSQL is back' 300
expect_exit 0 "... and delivers the same keyId once the versions agree" bob key-by-id "$id" Alice

# --- expired records go, in batches; live ones and other sites' stay ------
now_ms=$(($(date +%s) * 1000))
psql_site bob "INSERT INTO skip_kpd_delivered SELECT 'Bob', 'Alice', int8send(i), $now_ms - 1000 FROM generate_series(1, 25000) AS i"
psql_site bob "INSERT INTO skip_kpd_delivered SELECT 'Other', 'Alice', int8send(i), $now_ms - 1000 FROM generate_series(1, 10) AS i"
expired() { psql_site bob "SELECT count(*) FROM skip_kpd_delivered WHERE site = '$1' AND expires_ms < $now_ms"; }
i=0
while [ "$(expired Bob)" != 0 ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
expect_eq "25000 expired records are removed, in batches, within 30 s" "$(expired Bob)" 0
expect_eq "... another site's are left to it" "$(expired Other)" 10
expect_eq "... and the live record stays" "$(records_of "$id")" 1

# --- the instance number -----------------------------------------------------
variant twin ""
run_variant 1 "a second live instance with Bob's number refuses to start" twin
expect_match "... naming the one running, its host and pid" "$T/err" \
    "instance 0 of this site is already running \\(.* pid $SKIP_TESTBED_BOB_PID since .*\\)"
variant other "s|^instance = .*|instance = 5|"
"$KPD" -f -c "$T/other/kpd.conf" 2> "$T/other/kpd.log" &
other=$!
stop_other() { kill "$other" 2> /dev/null; wait "$other" 2> /dev/null; }
on_cleanup stop_other
expect_exit 0 "... while one with its own number serves" wait_for "$T/other/kpd.log" ready
expect_eq "the database names both claims" \
    "$(psql_site bob "SELECT instance FROM skip_kpd_instance WHERE site = 'Bob' ORDER BY 1" | tr '\n' ' ')" "0 5 "
kill -9 "$other"
wait "$other" 2> /dev/null
i=0
while [ $i -lt 100 ] && ! timeout 10 "$KPD" --check-config -c "$T/other/kpd.conf" > /dev/null 2>&1; do i=$((i + 1)); done
"$KPD" -f -c "$T/other/kpd.conf" 2> "$T/other/kpd2.log" &
other=$!
expect_exit 0 "a killed instance's number is free again for its restart" wait_for "$T/other/kpd2.log" ready 200

# --- configuration -----------------------------------------------------------
variant noinfo "/^ledger_conninfo = /d"
expect_exit 1 "ledger = postgresql without a connection string" "$KPD" --check-config -c "$T/noinfo/kpd.conf"
expect_match "... is named" "$T/err" 'ledger = postgresql needs one of ledger_conninfo and ledger_conninfo_file'
variant fileledger "s|^ledger = postgresql|ledger = file|"
expect_exit 1 "a connection string with ledger = file" "$KPD" --check-config -c "$T/fileledger/kpd.conf"
expect_match "... is named" "$T/err" 'ledger_conninfo and ledger_conninfo_file go with ledger = postgresql'
variant plain "s|^ledger = postgresql|ledger = file|;/^ledger_conninfo = /d"
expect_exit 1 "--init-db with ledger = file" "$KPD" --init-db -c "$T/plain/kpd.conf"
expect_match "... says there is no database" "$T/err" 'ledger = file has no database'
variant badname "s|^ledger = postgresql|ledger = mysql|"
expect_exit 1 "an unknown ledger" "$KPD" --check-config -c "$T/badname/kpd.conf"
expect_match "... lists the known ones" "$T/err" 'ledger "mysql" is not one of: file, postgresql'

# A password in the connection string, from a file: the trust cluster
# ignores it, and no log line or error ever shows it.
secret="pw-$(openssl rand -hex 8)"
printf '# the ledger database\n\n%s password=%s\n' "$conninfo" "$secret" > "$T/conninfo"
chmod 600 "$T/conninfo"
variant pwfile "s|^ledger_conninfo = .*|ledger_conninfo_file = $T/conninfo|;s|^instance = .*|instance = 7|"
expect_exit 0 "ledger_conninfo_file: the first line that is not a comment" "$KPD" --check-config -c "$T/pwfile/kpd.conf"
"$KPD" -f -c "$T/pwfile/kpd.conf" 2> "$T/pwfile/kpd.log" &
pw=$!
stop_pw() { kill "$pw" 2> /dev/null; wait "$pw" 2> /dev/null; }
on_cleanup stop_pw
wait_for "$T/pwfile/kpd.log" ready
"$TESTBED" stop "$T" pg > /dev/null
wait_for "$T/pwfile/kpd.log" 'deliveries answer 500'
expect_match "a KP whose database stops logs it" "$T/pwfile/kpd.log" 'ledger: PostgreSQL: .*deliveries answer 500 until it is back'
variant pwdown "s|^ledger_conninfo = .*|ledger_conninfo_file = $T/conninfo|;s|^instance = .*|instance = 8|"
run_variant 1 "a KP whose database is unreachable at start refuses to start" pwdown
expect_match "... saying it cannot connect" "$T/err" 'ledger: cannot connect to PostgreSQL: '
cp "$T/err" "$T/pwdown.err"
expect_exit 1 "--init-db on an unreachable database fails" "$KPD" --init-db -c "$T/pwdown/kpd.conf"
cat "$T/err" >> "$T/pwdown.err"
"$TESTBED" start "$T" pg > /dev/null
stop_pw
expect_eq "the password is in no log or error" \
    "$(cat "$T"/*/kpd.log "$T"/*/kpd2.log "$T/pwdown.err" | grep -c -- "$secret")" 0
printf '# nothing but comments\n' > "$T/empty-conninfo"
sed -i "s|^ledger_conninfo_file = .*|ledger_conninfo_file = $T/empty-conninfo|" "$T/pwdown/kpd.conf"
expect_exit 1 "a conninfo file with no connection string" "$KPD" --init-db -c "$T/pwdown/kpd.conf"
expect_match "... is named" "$T/err" "ledger_conninfo_file $T/empty-conninfo holds no connection string"
finish
