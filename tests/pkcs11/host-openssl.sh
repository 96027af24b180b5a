# SPDX-License-Identifier: BSD-3-Clause
# The module inside a host whose OpenSSL routes random numbers (and TLS
# KDFs) to this very token, as OpenSSL's pkcs11-provider does: the module's
# own TLS to its KP runs in its private library context, so the host's
# provider never sees a call of the module's making and never re-enters it.
# The host draws RAND_bytes (each from the token), generates at Alice and
# finds at Bob; the provider logs every call it gets.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
PROVIDER=$top_builddir/.libs/libhost-provider.so
[ -f "$PROVIDER" ] || { echo "Bail out! $PROVIDER not built"; exit 1; }
HOST=$(built ossl-host)

# One module config with both sites: slot 0 is Alice, slot 1 is Bob.
cat "$SKIP_TESTBED_ALICE_MODULE_CONF" "$SKIP_TESTBED_BOB_MODULE_CONF" > "$T/both.conf"
cat > "$T/openssl.cnf" <<CNF
openssl_conf = init
[init]
providers = providers
alg_section = algorithms
random = random
[providers]
default = default_provider
skiptest = skiptest_provider
[default_provider]
activate = 1
[skiptest_provider]
module = $PROVIDER
activate = 1
[algorithms]
default_properties = ?provider=skiptest
[random]
random = SKIPTEST-RAND
CNF

host() { # MODE: the host's output in $T/out, its stderr in $T/err
    rm -f "$T/provider.log"
    expect_exit 0 "$@" env OPENSSL_CONF="$T/openssl.cnf" SKIP_PKCS11_CONF="$T/both.conf" \
        SKIPTEST_MODULE="$MODULE" SKIPTEST_LOG="$T/provider.log" $HOST_ENV \
        "$HOST" "$MODULE" "$mode"
    [ -f "$T/provider.log" ] || : > "$T/provider.log"
}

for mode in lazy early; do
    HOST_ENV=
    [ $mode = early ] && HOST_ENV=SKIPTEST_EARLY=1
    host "$mode: the host draws random numbers, generates at Alice, finds at Bob"
    expect_eq "... four draws" "$(grep -c '^rand 64$' "$T/out")" 4
    expect_match "... Bob finds the key Alice generated" "$T/out" '^found 1$'
    expect_match "... and both sign alike" "$T/out" '^macs equal$'
    expect_eq "... each draw came from the token, none failed" \
        "$(grep -c '^rand 64 0x0$' "$T/provider.log")" 4
    expect_eq "... and the provider saw nothing else: no draw of the module's own" \
        "$(grep -vc '^rand 64 0x0$\|^early ' "$T/provider.log")" 0
    expect_no_match "... no TLS KDF of the module's reached the host's provider" \
        "$T/provider.log" '^kdf '
    expect_eq "... and the module was never re-entered (but for the early C_Initialize)" \
        "$(grep 'refused$' "$T/err" | grep -vc '^skip-pkcs11: error: C_Initialize: ')" 0
done
# Early loading: the module's curl_global_init loads the host's config,
# whose provider initializes the module from inside C_Initialize. That
# call is refused at once, with a log line, and the host goes on.
expect_match "early: the provider's C_Initialize from inside ours fails fast" \
    "$T/provider.log" '^early 0x6$'
expect_match "... and says why" "$T/err" \
    'C_Initialize: called from inside the module.s own KP request or OpenSSL setup'
finish
