#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The SKIP story on one machine: two Key Providers, a key at Alice, the
# same key at Bob by keyId. Prints fingerprints (SHA-256), never keys.
set -eu
top_builddir=${top_builddir:-$(pwd)}
TOOL=$top_builddir/skip-tool
TESTBED=$top_builddir/skip-testbed
export SKIP_KPD="$top_builddir/skip-kpd"

dir=$(mktemp -d "${TMPDIR:-/tmp}/skip-demo.XXXXXX")
trap '"$TESTBED" down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT

echo "== Starting KP Alice and KP Bob (TLS 1.3, PSK) on 127.0.0.1"
"$TESTBED" up "$dir" --tls psk13
. "$dir/env"
echo "   Alice: $SKIP_TESTBED_ALICE_URL   Bob: $SKIP_TESTBED_BOB_URL"

echo "== Encryptor Alice: GET /key?remoteSystemID=Bob"
a=$("$TOOL" -c "$SKIP_TESTBED_ALICE_TOOL_CONF" key Bob)
key_id=$(echo "$a" | sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p')
fp_a=$(echo "$a" | sed -n 's/.*"keySha256":"\([0-9a-f]*\)".*/\1/p')
echo "   keyId            $key_id"
echo "   key fingerprint  $fp_a"

echo "== Alice hands only the keyId to Bob"
echo "== Encryptor Bob: GET /key/$key_id?remoteSystemID=Alice"
b=$("$TOOL" -c "$SKIP_TESTBED_BOB_TOOL_CONF" key-by-id "$key_id" Alice)
fp_b=$(echo "$b" | sed -n 's/.*"keySha256":"\([0-9a-f]*\)".*/\1/p')
echo "   key fingerprint  $fp_b"

if [ -n "$fp_a" ] && [ "$fp_a" = "$fp_b" ]; then
    echo "== MATCH: Alice and Bob hold the same 256-bit key"
else
    echo "== MISMATCH: the fingerprints differ" >&2
    exit 1
fi
