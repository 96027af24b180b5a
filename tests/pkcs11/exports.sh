# SPDX-License-Identifier: BSD-3-Clause
# The module exports exactly its three entry points (version script and
# -fvisibility=hidden), nothing else.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

nm -D --defined-only "$MODULE" | awk '$2 ~ /^[TDBRVWi]$/ { print $3 }' |
    grep -v '^_' | sort > "$T/exports"
expect_eq "exported functions" "$(tr '\n' ' ' < "$T/exports")" \
    "C_GetFunctionList C_GetInterface C_GetInterfaceList "
finish
