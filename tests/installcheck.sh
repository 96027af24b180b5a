#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# After `make install`: the installed skip-testbed finds the installed
# skip-kpd on its own, and the installed skip-tool gets a key at both sites.
set -eu
bindir=$1
unset SKIP_KPD
dir=$(mktemp -d "${TMPDIR:-/tmp}/skip-installcheck.XXXXXX")
trap '"$bindir/skip-testbed" down "$dir" > /dev/null 2>&1; rm -rf "$dir"' EXIT
"$bindir/skip-testbed" up "$dir" > /dev/null
. "$dir/env"
a=$("$bindir/skip-tool" -c "$SKIP_TESTBED_ALICE_TOOL_CONF" key Bob)
id=$(echo "$a" | sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p')
b=$("$bindir/skip-tool" -c "$SKIP_TESTBED_BOB_TOOL_CONF" key-by-id "$id" Alice)
[ "$(echo "$a" | sed 's/.*keySha256//')" = "$(echo "$b" | sed 's/.*keySha256//')" ]
echo "installcheck: the installed tools agree on a key"
