# SPDX-License-Identifier: BSD-3-Clause
# The module exports exactly its three entry points (version script and
# -fvisibility=hidden), nothing else, and is bound at load (-z now: no
# lazy-binding resolver runs inside a call that holds key bytes).
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

nm -D --defined-only "$MODULE" | awk '$2 ~ /^[TDBRVWi]$/ { print $3 }' |
    grep -v '^_' | sort > "$T/exports"
expect_eq "exported functions" "$(tr '\n' ' ' < "$T/exports")" \
    "C_GetFunctionList C_GetInterface C_GetInterfaceList "
readelf -d "$MODULE" > "$T/dynamic"
expect_match "the module is bound at load (BIND_NOW)" "$T/dynamic" \
    '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW'
finish
