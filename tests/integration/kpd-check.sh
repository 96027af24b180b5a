# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd --check-config loads what a start loads and checks where a start
# writes, so the unit's ExecStartPre catches each problem: one case per
# failure kind. And a KP that cannot erase a ratcheted secret does not
# serve: it refuses to start, and while running it refuses keys for that
# peer (500, one log line) until the file can be written again. The
# service user's view needs a user other than root (chmod does not stop
# root): as root the daemon runs as nobody for those cases.
. "$top_srcdir/tests/integration/lib.sh"

KPD=$(built skip-kpd)
expect_exit 1 "skip-testbed down on a directory that is not there" "$TESTBED" down "$T/none"
expect_match "... says so" "$T/err" "$T/none: no testbed there"
[ -e "$T/none" ] && not_ok "... and does not make it" || ok "... and does not make it"
testbed_up
conf=$SKIP_TESTBED_ALICE_KPD_CONF
check() { "$KPD" -c "$1" --check-config; }
with() { # SED-EXPRESSION...: Alice's config changed, in $T/c.conf
    cp "$conf" "$T/c.conf"
    for e in "$@"; do sed -i "$e" "$T/c.conf"; done
}

expect_exit 0 "the testbed's config checks" check "$conf"
with "s|^secret_file = .*|secret_file = $T/none.secret|"
expect_exit 1 "a missing secret file" check "$T/c.conf"
expect_match "... is named" "$T/err" "$T/none.secret"
printf 'garbage\n' > "$T/garbage.secret"
with "s|^secret_file = .*|secret_file = $T/garbage.secret|"
expect_exit 1 "a secret file that does not parse" check "$T/c.conf"
expect_match "... is named with its line" "$T/err" "garbage.secret:1: expected \"EPOCH HEX\""
with "s|^state_dir = .*|state_dir = $T/no-such-dir|"
expect_exit 1 "a state_dir that does not exist" check "$T/c.conf"
expect_match "... is named" "$T/err" "state_dir $T/no-such-dir: No such file or directory"
with "s|^port_file = .*|port_file = $T/no-such-dir/port|"
expect_exit 1 "a port_file in a directory that does not exist" check "$T/c.conf"
expect_match "... is named" "$T/err" "port_file's directory $T/no-such-dir: No such file"
with '/^\[kpd\]/a entropy_file = '"$T"'/no-hwrng'
expect_exit 1 "an entropy_file that does not exist" check "$T/c.conf"
expect_match "... is named (else /capabilities would promise entropy it cannot give)" \
    "$T/err" "entropy_file $T/no-hwrng: No such file"
"$TESTBED" down "$T" > /dev/null

testbed_up --tls cert13
conf=$SKIP_TESTBED_ALICE_KPD_CONF
with "s|^cert_file = .*|cert_file = $T/none.crt|"
expect_exit 1 "a missing certificate" check "$T/c.conf"
expect_match "... is named" "$T/err" "cert_file $T/none.crt / key_file"
with "s|^client_ca_file = .*|client_ca_file = $T/none-ca.crt|"
expect_exit 1 "a missing client CA" check "$T/c.conf"
expect_match "... is named" "$T/err" "client_ca_file $T/none-ca.crt"
"$TESTBED" down "$T" > /dev/null

if [ "$(id -u)" -ne 0 ]; then
    echo "# not run: the service user's cases need root to run the daemon as nobody"
    finish
fi
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
testbed_up
"$TESTBED" stop "$T" alice > /dev/null
conf=$SKIP_TESTBED_ALICE_KPD_CONF
chown -R 65534:65534 "$T/alice"
chmod 711 "$T"
# The secret where the unit makes /etc read-only: a directory of root's.
mkdir "$T/etc"
cp "$T/alice/peer-Bob.secret" "$T/etc/bob.secret"
chmod 644 "$T/etc/bob.secret"
with "s|^secret_file = .*|secret_file = $T/etc/bob.secret|"
chmod 644 "$T/c.conf"
expect_exit 1 "as the service user: a secret file it cannot rewrite fails the check" \
    as_nobody "$KPD" -c "$T/c.conf" --check-config
expect_match "... saying why and where to keep it" "$T/err" \
    "secret_file $T/etc/bob.secret: the daemon must rewrite it when it ratchets, and cannot here .*state directory"
# An old epoch in it: a start would have to ratchet it; it refuses to
# serve instead (the same check runs before every start).
awk '{ print $1 - 1, $2 }' "$T/alice/peer-Bob.secret" > "$T/etc/bob.secret"
expect_exit 1 "... and a start refuses to serve" as_nobody "$KPD" -f -c "$T/c.conf"
expect_match "... saying why" "$T/err" "secret_file $T/etc/bob.secret: the daemon must rewrite it"

# Running: the directory turns read-only under the daemon. With a
# 10-second ratchet, the next epoch's rewrite fails: keys for Bob are
# refused (500) with one line, until the file can be written again.
with "s|^key_lifetime_s = .*|key_lifetime_s = 5|" "/^\\[kpd\\]/a ratchet_interval_s = 10"
chmod 644 "$T/c.conf"
# a secret of this epoch of 10 s (the testbed's count days)
echo "$(( $(date +%s) / 10 )) $(openssl rand -hex 32)" > "$T/alice/peer-Bob.secret"
rm -f "$T/alice/port"
# setpriv itself, not the function: $! must be the daemon (setpriv execs
# it), or the cleanup would kill a subshell and leave the daemon running
setpriv --reuid=65534 --regid=65534 --clear-groups "$KPD" -f -c "$T/c.conf" 2> "$T/run.log" &
kpd_pid=$!
stop_kpd() { kill "$kpd_pid" 2> /dev/null; wait "$kpd_pid" 2> /dev/null; }
on_cleanup stop_kpd
wait_for "$T/run.log" "ready" || { echo "# the daemon did not start:"; sed "s/^/# /" "$T/run.log"; }
sed -i "s|^url = .*|url = https://127.0.0.1:$(cat "$T/alice/port")|" "$SKIP_TESTBED_ALICE_TOOL_CONF"
expect_exit 0 "a key for Bob while the secret file can be written" alice key Bob
chmod 555 "$T/alice"
sleep 11 # into the next epoch
expect_exit 9 "once the ratcheted secret cannot be written: keys for Bob are refused" alice key Bob
expect_match "... 500" "$T/err" 'HTTP 500'
expect_eq "... and the log says so once" \
    "$(grep -c 'peer Bob: cannot rewrite secret_file after the ratchet' "$T/run.log")" 1
alice key Bob > /dev/null 2>&1
expect_eq "... not at every refusal" \
    "$(grep -c 'peer Bob: cannot rewrite secret_file after the ratchet' "$T/run.log")" 1
chmod 755 "$T/alice"
expect_exit 0 "when it can be written again, keys resume" alice key Bob
expect_match "... and the log says so" "$T/run.log" 'peer Bob: secret_file written again; keys resume'
finish
