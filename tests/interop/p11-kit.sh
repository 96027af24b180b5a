# SPDX-License-Identifier: BSD-3-Clause
# p11-kit (interop-notes.md section 3): our .module file registers the token
# with p11-kit (list-modules, p11-kit-proxy.so), and `p11-kit server` with
# p11-kit-client.so remotes keygen, find, random and HMAC, though not key
# derivation, whose parameters p11-kit's RPC cannot carry.
. "$top_srcdir/tests/interop/interop-lib.sh"
need p11-kit
need pkcs11-tool

testbed_up

# p11-kit reads user module files only for non-root users, so as root the
# registration runs as nobody, from copies nobody can read.
H=$T/home
mkdir -p "$H/.config/pkcs11/modules"
chmod 711 "$T"
cp "$MODULE" "$H/skip-pkcs11.so"
cp "$P11" "$H/p11-client"
cp "$T/alice/encryptor.psk" "$H/alice.psk"
sed "s|^psk_file = .*|psk_file = $H/alice.psk|" "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$H/module.conf"
sed "s|^module:.*|module: $H/skip-pkcs11.so|" "$top_builddir/skip-pkcs11.module" \
    > "$H/.config/pkcs11/modules/skip-pkcs11.module"
if [ "$(id -u)" -eq 0 ]; then
    chown -R 65534:65534 "$H"
    as_user() { host env HOME="$H" SKIP_PKCS11_CONF="$H/module.conf" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
    as_user() { host env HOME="$H" SKIP_PKCS11_CONF="$H/module.conf" "$@"; }
fi

run_ok "p11-kit list-modules" as_user p11-kit list-modules
expect_match "... lists the module by its file name" "$T/out" "^skip-pkcs11: $H/skip-pkcs11.so\$"
expect_match "... with its description" "$T/out" 'library-description: SKIP keys over PKCS#11'
expect_match "... and Alice's token" "$T/out" '^    token: Alice$'
expect_match "... from skip-pkcs11" "$T/out" 'manufacturer: skip-pkcs11'

run_ok "p11-kit-proxy.so: pkcs11-tool -L" as_user pkcs11-tool --module "$P11KIT_PROXY" -L
expect_match "... shows the SKIP slot" "$T/out" 'SKIP Key Provider Alice'
# The proxy passes mechanism parameters through in-process: derive works.
run_ok "p11-kit-proxy.so: keygen, HMAC and IKEv2 prf+ derive" \
    as_user "$H/p11-client" "$P11KIT_PROXY" "keygen kdf" "derive - 00112233445566778899aabbccddeeff"
expect_match "... a derived key" "$T/out" '^derived [0-9a-f]{64}$'
proxy_id=$(p11_field keyid)

# --- p11-kit server: a fresh module process per client connection ---
servers_pk=""
# $! is the subshell that runs host(); the server may be its child, so
# it is also stopped by its socket's name, which only it has.
stop_p11kit_servers() {
    for pid in $servers_pk; do kill "$pid" 2>/dev/null; done
    pkill -f -- "--name $T/pk-" 2>/dev/null
}
on_cleanup stop_p11kit_servers
p11kit_server() { # site conf sock
    SKIP_PKCS11_CONF=$2 host p11-kit server -f --name "$3" \
        --provider "$MODULE" "pkcs11:token=$1" > "$T/p11kit-$1.log" 2>&1 &
    servers_pk="$servers_pk $!"
    i=0
    until [ -S "$3" ]; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "Bail out! p11-kit server $1"; exit 1; }
        sleep 0.05
    done
}
p11kit_server Alice "$SKIP_TESTBED_ALICE_MODULE_CONF" "$T/pk-alice.sock"
p11kit_server Bob "$SKIP_TESTBED_BOB_MODULE_CONF" "$T/pk-bob.sock"
remote_a() { P11_KIT_SERVER_ADDRESS=unix:path=$T/pk-alice.sock "$P11" "$P11KIT_CLIENT" "$@"; }
remote_b() { P11_KIT_SERVER_ADDRESS=unix:path=$T/pk-bob.sock "$P11" "$P11KIT_CLIENT" "$@"; }

run_ok "p11-kit-client: A generates, signs, draws random" \
    remote_a info "keygen hmac" "sign - remoted-data" "random 32"
expect_match "... the token is Alice" "$T/out" '^token Alice *$'
expect_match "... 32 random bytes" "$T/out" '^random [0-9a-f]{64}$'
key_id=$(p11_field keyid)
mac_a=$(p11_field mac)
run_ok "p11-kit-client: B finds the keyId and signs" \
    remote_b "find $key_id" "sign $key_id remoted-data"
expect_match "... found" "$T/out" '^found 1$'
expect_eq "... the MACs are equal" "$(p11_field mac)" "$mac_a"
key=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
expect_eq "... HMAC-SHA256 under the SKIP key" "$mac_a" \
    "$(printf 'remoted-data' | openssl mac -digest SHA256 -macopt "hexkey:$key" HMAC | tr A-F a-f)"

expect_exit 1 "p11-kit-client cannot carry prf+ parameters" \
    remote_a "keygen kdf" "derive - 00112233445566778899aabbccddeeff"
expect_match "... the mechanism is dropped by p11-kit's RPC" "$T/out" \
    '^error: C_DeriveKey: CKR_MECHANISM_INVALID$'

expect_key_nowhere "no log or output holds the remoted key" "$key_id" 32 \
    "$T/out" "$T/err" "$T"/p11kit-*.log
expect_key_nowhere "... nor the proxy's" "$proxy_id" 32 "$T/out" "$T/err"
finish
