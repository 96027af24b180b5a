# SPDX-License-Identifier: BSD-3-Clause
# Key memory, as another process of the same user would see it: skip-kpd is
# not dumpable (without CAP_SYS_PTRACE, /proc/PID/environ, mem and ptrace
# are closed to it), and a module that cannot mlock still works and says so
# once per process, and no copy of a key outlives C_DestroyObject or
# C_Finalize anywhere in the module's process. (A forked child reading
# zeros is test-secbuf's.)
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up

# A same-user process may read a dumpable process's /proc/PID/environ (and
# mem), not a non-dumpable one's. Root may read anything, so as root both
# sides run as nobody: Alice's KP is restarted as nobody on her files.
# as_user is a word list, not a function: a function sent to the
# background runs in a subshell, and $! would be that shell's pid.
if [ "$(id -u)" -eq 0 ]; then
    as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
    "$TESTBED" stop "$T" alice > /dev/null
    chown -R 65534:65534 "$T/alice"
    chmod 711 "$T"
    rm -f "$T/alice/port"
    $as_user "$(built skip-kpd)" -f -c "$SKIP_TESTBED_ALICE_KPD_CONF" \
        2> "$T/nobody-kpd.log" &
    kpd_pid=$!
    stop_nobody_kpd() { kill "$kpd_pid" 2> /dev/null; wait "$kpd_pid" 2> /dev/null; }
    on_cleanup stop_nobody_kpd
    i=0
    until [ -s "$T/alice/port" ]; do
        i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
    done
else
    as_user=
    kpd_pid=$SKIP_TESTBED_ALICE_PID
fi
$as_user sleep 60 &
plain=$!
# Until setpriv has exec'ed sleep, the process is between two users and
# not dumpable either.
i=0
until [ "$(cat "/proc/$plain/comm" 2> /dev/null)" = sleep ]; do
    i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
done
expect_exit 0 "a dumpable process of the user can be read (the probe works)" \
    $as_user cat "/proc/$plain/environ"
uid_of() { awk '/^Uid:/ { print $3 }' "/proc/$1/status"; }
expect_eq "skip-kpd runs as that same user" "$(uid_of "$kpd_pid")" "$(uid_of "$plain")"
expect_exit 1 "... and its memory cannot be read: it is not dumpable" \
    $as_user cat "/proc/$kpd_pid/environ"
expect_match "... permission denied" "$T/err" 'Permission denied'

# skip-pkcs11-server holds the module's keys: the same, with its own copy
# of Alice's module config that the user can read.
mkdir "$T/server"
sed "s|^psk_file = .*|psk_file = $T/server/encryptor.psk|" \
    "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/server/module.conf"
cp "$T/alice/encryptor.psk" "$T/server/"
[ -z "$as_user" ] || chown -R 65534:65534 "$T/server"
SKIP_PKCS11_CONF="$T/server/module.conf" $as_user "$(built skip-pkcs11-server)" \
    --module "$MODULE" "$T/server/s.sock" 2> "$T/server/log" &
server_pid=$!
stop_server() { kill "$server_pid" 2> /dev/null; wait "$server_pid" 2> /dev/null; }
on_cleanup stop_server
i=0
until grep -q '^skip-pkcs11-server: serving ' "$T/server/log" 2> /dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
done
expect_eq "skip-pkcs11-server runs as that same user" "$(uid_of "$server_pid")" "$(uid_of "$plain")"
expect_exit 1 "... and its memory cannot be read: it is not dumpable" \
    $as_user cat "/proc/$server_pid/environ"
expect_match "... permission denied" "$T/err" 'Permission denied'
kill "$plain"

# No copy of a key outlives it in the module's process: Alice's KP issues
# a key (its bytes known to the test), Bob's module fetches it, keys an
# HMAC with it and leaves the operation open; after C_DestroyObject, and
# again after C_Finalize, the process's whole memory (read through
# /proc/self/mem) holds the key nowhere: not in binary, not in the KP's
# hex answer (curl's receive buffer, OpenSSL's TLS read buffer, the JSON
# parser), not in the open HMAC context. The first scan, while the key is
# held, must find it: it proves the scan sees the module's memory.
alice --reveal-key key Bob > "$T/k.json"
mem_id=$(json_field keyId "$T/k.json")
not_key=$(json_field key "$T/k.json" | python3 -c 'import sys; print(bytes(b ^ 0xff for b in bytes.fromhex(sys.stdin.read().strip())).hex())')
expect_exit 0 "Bob's module fetches the key, signs with it, destroys it, finalizes" \
    env SKIP_PKCS11_CONF="$SKIP_TESTBED_BOB_MODULE_CONF" "$P11" "$MODULE" \
    "find $mem_id hmac" "memscan $not_key" "signinit $mem_id" \
    "destroy $mem_id" "memscan $not_key" "finalize" "memscan $not_key"
sed -n 's/^memscan //p' "$T/out" > "$T/scans"
expect_eq "the scan finds the key while the module holds it" \
    "$(sed -n 1p "$T/scans" | awk '$1 >= 1 { print "found" }')" found
expect_eq "... nowhere after C_DestroyObject with an HMAC open on it" "$(sed -n 2p "$T/scans")" 0
expect_eq "... nowhere after C_Finalize" "$(sed -n 3p "$T/scans")" 0

# mlock: root holds CAP_IPC_LOCK, which ignores the limit; drop it.
if [ "$(id -u)" -eq 0 ]; then
    no_memlock() { setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock prlimit --memlock=0:0 "$@"; }
else
    no_memlock() { prlimit --memlock=0:0 "$@"; }
fi
expect_exit 0 "the module with no mlock budget still makes keys" \
    no_memlock env \
    SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" "$P11" "$MODULE" \
    "keygen hmac" "random 4000" "keygen"
expect_eq "... and says so once" "$(grep -c 'warning: mlock failed' "$T/err")" 1
expect_match "... with the fix" "$T/err" 'raise the limit \(systemd: LimitMEMLOCK=\)'
finish
