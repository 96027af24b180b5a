# SPDX-License-Identifier: BSD-3-Clause
# audit_syslog = yes: each audit line goes to syslog's authpriv facility
# at notice level, whole, with no key. The KP runs in a private mount
# namespace whose /dev/log is a socket this test reads (it needs root, or
# skips); the daemon is skip-kpd as built, unchanged.
. "$top_srcdir/tests/integration/lib.sh"
need unshare
need python3
if ! unshare -m true 2> /dev/null; then
    echo "SKIP: no private mount namespace here (needs root)"
    exit 77
fi
testbed_up

mkdir "$T/dev"
for node in null zero urandom random; do : > "$T/dev/$node"; done
dgram_listen "$T/dev/log" "$T/syslog.txt"
stop_listener() { kill "$listener" 2> /dev/null; wait "$listener" 2> /dev/null; }
on_cleanup stop_listener

"$TESTBED" stop "$T" alice > /dev/null
sed -i 's/^\[kpd\]$/[kpd]\naudit_syslog = yes/' "$SKIP_TESTBED_ALICE_KPD_CONF"
unshare -m sh -c "for n in null zero urandom random; do mount --bind /dev/\$n \"$T/dev/\$n\"; done
    mount --bind '$T/dev' /dev && exec '$TESTBED' start '$T' alice" > /dev/null
. "$T/env"
expect_exit 0 "a key from Alice, whose KP sends its audit trail to syslog" alice key Bob
id=$(json_field keyId)
expect_exit 0 "the line reaches /dev/log" wait_for "$T/syslog.txt" "\"keyId\":\"$id\""
# <85>: facility authpriv (10) * 8 + severity notice (5)
expect_match "... at authpriv.notice, as the issued event" "$T/syslog.txt" \
    "^<85>.*\\{\"time\":\"[0-9T:.-]*Z\",\"event\":\"issued\",\"request\":\"GET /key\",\"client\":\"psk:alice-encryptor\",\"remote\":\"Bob\",\"keyId\":\"$id\",\"outcome\":\"ok\",\"status\":200\\}"
expect_match "... and in the audit file as well" "$T/alice/audit.log" "\"keyId\":\"$id\""
key=$(prf_key "$id" Alice Bob "$T/alice/peer-Bob.secret" 32)
expect_no_match "no key in what syslog got" "$T/syslog.txt" "$key"
finish
