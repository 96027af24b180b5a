# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the interop tests: the tools people use (pkcs11-tool, p11tool,
# p11-kit, Java, PyKCS11) load skip-pkcs11.so against skip-testbed's sites.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

P11_MODULE_DIR=$(pkg-config --variable=p11_module_path p11-kit-1)
P11KIT_CLIENT=$P11_MODULE_DIR/p11-kit-client.so
P11KIT_PROXY=$(dirname "$P11_MODULE_DIR")/p11-kit-proxy.so
SERVER=$(built skip-pkcs11-server)

# A sanitized module needs its runtime loaded before the host's own code;
# the host's leaks are not ours to report.
san_preload=$(ldd "$MODULE" | awk '/lib(asan|ubsan)\.so/ { printf "%s ", $3 }')
host() {
    if [ -n "$san_preload" ]; then
        env LD_PRELOAD="$san_preload" \
            ASAN_OPTIONS="detect_leaks=0:exitcode=86" "$@"
    else
        "$@"
    fi
}

at_alice() { SKIP_PKCS11_CONF=$SKIP_TESTBED_ALICE_MODULE_CONF host "$@"; }
at_bob() { SKIP_PKCS11_CONF=$SKIP_TESTBED_BOB_MODULE_CONF host "$@"; }

# Output and error of a command that must succeed, in $T/out and $T/err.
run_ok() { # DESCRIPTION COMMAND...
    expect_exit 0 "$@"
    [ "$got" -eq 0 ] || { cat "$T/out" "$T/err" | head -n 20; }
}

# --- skip-pkcs11-server per site: what keeps token keys between the
# processes of one-operation tools, reached through p11-kit-client.so ---
servers=""
stop_servers() {
    for pid in $servers; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    for log in "$T"/server-*.log; do
        [ -f "$log" ] || continue
        if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
            echo "not ok - sanitizer report in $log:"
            cat "$log"
            status=1 # cleanup's exit status
        fi
    done
}
on_cleanup stop_servers

start_server() { # alice|bob: sets ${site}_sock
    site=$1
    case $site in
    alice) conf=$SKIP_TESTBED_ALICE_MODULE_CONF ;;
    bob) conf=$SKIP_TESTBED_BOB_MODULE_CONF ;;
    esac
    sock=$T/$site.sock
    SKIP_PKCS11_CONF=$conf SKIP_PKCS11_DEBUG=http "$SERVER" --module "$MODULE" "$sock" \
        2> "$T/server-$site.log" &
    servers="$servers $!"
    # The log line, not the socket file: a killed server leaves its file.
    wait_for "$T/server-$site.log" '^skip-pkcs11-server: serving ' ||
        { echo "Bail out! skip-pkcs11-server $site"; cat "$T/server-$site.log"; exit 1; }
    eval "${site}_sock=\$sock"
}

via_alice() { P11_KIT_SERVER_ADDRESS=unix:path=$alice_sock "$@"; }
via_bob() { P11_KIT_SERVER_ADDRESS=unix:path=$bob_sock "$@"; }

# The key of a keyId, recomputed from the testbed's shared secret: no log
# or output of a test may hold it.
expect_key_nowhere() { # DESCRIPTION KEYID BYTES FILES...
    desc=$1 id=$2 len=$3
    shift 3
    key=$(prf_key "$id" Alice Bob "$T/alice/peer-Bob.secret" "$len")
    if [ -z "$key" ]; then
        not_ok "$desc: the key could not be recomputed"
    elif grep -rqiF -e "$key" "$@" "$T"/*/kpd.log "$T"/server-*.log 2>/dev/null; then
        not_ok "$desc: the key appears in a log or output"
    else
        ok "$desc"
    fi
}
