#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The SKIP story on one machine, as an IKEv2 pair uses it (RFC 8784): two
# Key Providers, two encryptor processes that load skip-pkcs11.so. Alice
# generates a PPK and sends only its keyId; Bob finds the PPK by keyId at
# his own KP; both derive SK_d, SK_pi and SK_pr with prf+ inside the token.
# Prints fingerprints (SHA-256), never keys.
set -eu
top_builddir=${top_builddir:-$(pwd)}
TESTBED=$top_builddir/skip-testbed
MODULE=$top_builddir/.libs/skip-pkcs11.so
IKE=$top_builddir/ikev2-ppk
export SKIP_KPD="$top_builddir/skip-kpd"
# A sanitized build's module needs its runtime first in the host.
preload=$(ldd "$MODULE" | awk '/lib(asan|ubsan)\.so/ { printf "%s ", $3 }')

dir=$(mktemp -d "${TMPDIR:-/tmp}/skip-demo.XXXXXX")
trap '"$TESTBED" down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT

fingerprint() { printf '%s' "$1" | sha256sum | cut -c1-16; }
encryptor() { # site conf args...
    conf=$1
    shift
    env ${preload:+LD_PRELOAD="$preload"} SKIP_PKCS11_CONF="$conf" "$IKE" "$MODULE" "$@"
}

# DEMO_KEY_SOURCE=etsi014 (make demo DEMO_KEY_SOURCE=etsi014): the KPs
# bridge to a QKD network's KMEs, here the testbed's fake pair.
source=${DEMO_KEY_SOURCE:-prf}
case $source in
prf) echo "== Two Key Providers on 127.0.0.1 (skip-kpd, TLS 1.3 with PSK)" ;;
etsi014) echo "== Two Key Providers on 127.0.0.1 (skip-kpd, TLS 1.3 with PSK)," \
    "each the SAE of a (fake) QKD KME, ETSI GS QKD 014" ;;
*) echo "demo: DEMO_KEY_SOURCE must be prf or etsi014" >&2; exit 2 ;;
esac
"$TESTBED" up "$dir" --tls psk13 --key-source "$source" > /dev/null
. "$dir/env"
echo "   KP Alice  $SKIP_TESTBED_ALICE_URL"
echo "   KP Bob    $SKIP_TESTBED_BOB_URL"

# What IKE_SA_INIT left both sides with (RFC 8784 calls them SK_d' ...).
d=$(openssl rand -hex 32) pi=$(openssl rand -hex 32) pr=$(openssl rand -hex 32)

echo "== Encryptor Alice (IKEv2 initiator) loads skip-pkcs11.so"
echo "   C_GenerateKey: KP Alice makes a PPK for Bob"
encryptor "$SKIP_TESTBED_ALICE_MODULE_CONF" initiator "$d" "$pi" "$pr" > "$dir/alice.out"
key_id=$(sed -n 's/^keyid //p' "$dir/alice.out")
echo "   PPK keyId (CKA_ID)   $key_id"
echo "   PPK value            $(sed -n 's/^ppk_value //p' "$dir/alice.out") to Alice (CKA_VALUE: CKR_ATTRIBUTE_SENSITIVE)"

echo "== IKE_AUTH carries only PPK_IDENTITY = keyId to Bob"
echo "== Encryptor Bob (IKEv2 responder) loads skip-pkcs11.so"
echo "   C_FindObjects(CKA_ID = keyId): KP Bob delivers the same PPK"
encryptor "$SKIP_TESTBED_BOB_MODULE_CONF" responder "$key_id" "$d" "$pi" "$pr" > "$dir/bob.out"
echo "   PPK value            $(sed -n 's/^ppk_value //p' "$dir/bob.out") to Bob"

echo "== Both derive with prf+ inside the token (CKM_IKE2_PRF_PLUS_DERIVE)"
printf '   %-6s %-18s %-18s\n' key Alice Bob
same=yes
for k in SK_d SK_pi SK_pr; do
    a=$(sed -n "s/^$k //p" "$dir/alice.out")
    b=$(sed -n "s/^$k //p" "$dir/bob.out")
    printf '   %-6s %-18s %-18s\n' "$k" "$(fingerprint "$a")" "$(fingerprint "$b")"
    [ -n "$a" ] && [ "$a" = "$b" ] || same=no
done

if [ "$same" = yes ]; then
    echo "== MATCH: Alice and Bob hold the same SK_d, SK_pi and SK_pr; the PPK never left either token"
else
    echo "== MISMATCH: the derived keys differ" >&2
    exit 1
fi
