#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# After `make install`: every file is in its place, the installed
# skip-testbed finds the installed skip-kpd, the installed skip-tool gets a
# key at both sites, and the installed module (through the installed
# skip-pkcs11-server at Alice) gives the same HMAC at both sites.
set -eu
bindir=$1 sbindir=$2 mandir=$3 moduledir=$4 moduleconfdir=$5 unitdir=$6
sysusersdir=$7 docdir=$8
fail() { echo "installcheck: $*" >&2; exit 1; }

for f in "$bindir/skip-tool" "$bindir/skip-testbed" "$bindir/skip-pkcs11-server" \
    "$sbindir/skip-kpd" "$moduledir/skip-pkcs11.so" \
    "$moduleconfdir/skip-pkcs11.module" "$unitdir/skip-kpd.service" \
    "$sysusersdir/skip-kpd.conf" \
    "$mandir/man1/skip-tool.1" "$mandir/man1/skip-testbed.1" \
    "$mandir/man5/skip-kpd.conf.5" "$mandir/man5/skip-pkcs11.conf.5" \
    "$mandir/man8/skip-kpd.8" "$mandir/man8/skip-pkcs11.8" \
    "$mandir/man8/skip-pkcs11-server.8" \
    "$docdir/skip-pkcs11.md" "$docdir/pkcs11-tool.md" "$docdir/p11tool.md" \
    "$docdir/p11-kit.md" "$docdir/java.md" "$docdir/pykcs11.md"; do
    [ -f "$f" ] || fail "$f is not installed"
done
[ ! -e "$moduledir/skip-pkcs11.la" ] || fail "a libtool archive beside the module"
[ -f "$docdir/examples/ikev2-ppk.c" ] || fail "the IKEv2 example is not installed"
# as docs/ikev2-ppk.md builds it: with the header installed beside it
${CC:-cc} -fsyntax-only -I"$docdir/examples" $(pkg-config --cflags p11-kit-1) \
    "$docdir/examples/ikev2-ppk.c" || fail "the installed IKEv2 example does not compile"
[ ! -e "$docdir/performance.md" ] || fail "a development record is installed"
grep -q "^module: .*/skip-pkcs11.so\$" "$moduleconfdir/skip-pkcs11.module" ||
    fail "skip-pkcs11.module does not name the module"
grep -q "^ExecStart=.*/skip-kpd -f " "$unitdir/skip-kpd.service" ||
    fail "skip-kpd.service does not start skip-kpd"
echo "installcheck: every file is in its place"

unset SKIP_KPD
dir=$(mktemp -d "${TMPDIR:-/tmp}/skip-installcheck.XXXXXX")
server=""
trap '[ -z "$server" ] || kill "$server"; "$bindir/skip-testbed" down "$dir" > /dev/null 2>&1; rm -rf "$dir"' EXIT
# A key at Alice, the same by its keyId at Bob, through the installed tools.
tools_agree() { # WHAT
    . "$dir/env"
    a=$("$bindir/skip-tool" -c "$SKIP_TESTBED_ALICE_TOOL_CONF" key Bob)
    id=$(echo "$a" | sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p')
    b=$("$bindir/skip-tool" -c "$SKIP_TESTBED_BOB_TOOL_CONF" key-by-id "$id" Alice)
    [ "$(echo "$a" | sed 's/.*keySha256//')" = "$(echo "$b" | sed 's/.*keySha256//')" ] ||
        fail "the installed tools disagree on a key $1"
}
"$bindir/skip-testbed" up "$dir" > /dev/null
tools_agree "(prf)"
echo "installcheck: the installed tools agree on a key"
if command -v python3 > /dev/null; then
    "$bindir/skip-testbed" down "$dir" > /dev/null
    "$bindir/skip-testbed" up "$dir" --key-source etsi014 > /dev/null
    tools_agree "from the installed fake KMEs (etsi014)"
    echo "installcheck: ... and on one from the installed fake KMEs (etsi014)"
fi

command -v pkcs11-tool > /dev/null || { echo "installcheck: no pkcs11-tool, module not run"; exit 0; }
module=$moduledir/skip-pkcs11.so
client=$(pkg-config --variable=p11_module_path p11-kit-1)/p11-kit-client.so
SKIP_PKCS11_CONF=$SKIP_TESTBED_ALICE_MODULE_CONF "$bindir/skip-pkcs11-server" \
    --module "$module" "$dir/alice.sock" 2> "$dir/server.log" &
server=$!
i=0
until [ -S "$dir/alice.sock" ]; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "skip-pkcs11-server did not start"; sleep 0.05
done
echo "installcheck data" > "$dir/msg"
id=$(P11_KIT_SERVER_ADDRESS=unix:path=$dir/alice.sock pkcs11-tool --module "$client" \
    --keygen --key-type GENERIC:32 --sensitive --usage-sign 2> /dev/null |
    sed -n 's/^ *ID: *//p')
P11_KIT_SERVER_ADDRESS=unix:path=$dir/alice.sock pkcs11-tool --module "$client" \
    --sign -m SHA256-HMAC --id "$id" -i "$dir/msg" -o "$dir/mac-a" 2> /dev/null
SKIP_PKCS11_CONF=$SKIP_TESTBED_BOB_MODULE_CONF pkcs11-tool --module "$module" \
    --sign -m SHA256-HMAC --id "$id" -i "$dir/msg" -o "$dir/mac-b" 2> /dev/null
cmp -s "$dir/mac-a" "$dir/mac-b" || fail "the installed module's MACs differ"
echo "installcheck: the installed module gives one HMAC at both sites"
