# SPDX-License-Identifier: BSD-3-Clause
# The manual pages render without a groff warning (line adjustment aside:
# long install paths cannot be adjusted), carry no unfilled
# @placeholder@, and name every configuration key and option the code
# accepts, so a new key cannot ship undocumented.
. "$top_srcdir/tests/integration/lib.sh"
need groff

for page in skip-kpd.8 skip-kpd.conf.5 skip-tool.1 skip-testbed.1 \
    skip-pkcs11.8 skip-pkcs11.conf.5 skip-pkcs11-server.8; do
    file=$top_builddir/man/$page
    # Every warning but line adjustment, which long install paths trigger.
    groff -man -ww -Wbreak -z -Tutf8 "$file" > "$T/warnings" 2>&1
    expect_eq "$page renders without warnings" "$(cat "$T/warnings")" ""
    expect_no_match "$page has every path filled in" "$file" '@[a-z_]+@'
done

# keys_of FILE...: the names a config parser compares against.
keys_of() { sed -n 's/.*strcmp(name, "\([a-z_0-9]*\)").*/\1/p' "$@" | sort -u; }
documented() { # DESCRIPTION PAGE NAME...
    desc=$1 page=$top_builddir/man/$2
    shift 2
    missing=""
    for name in "$@"; do
        grep -q -- "$(echo "$name" | sed 's/-/\\\\-/g')" "$page" || missing="$missing $name"
    done
    expect_eq "$desc" "$missing" ""
}
documented "skip-kpd.conf(5) names every key of skip-kpd's parser" skip-kpd.conf.5 \
    $(keys_of "$top_srcdir/src/kpd/config.c" "$top_srcdir"/src/kpd/sync-*.c)
documented "skip-pkcs11.conf(5) names every slot key" skip-pkcs11.conf.5 \
    $(keys_of "$top_srcdir/src/pkcs11/config.c" "$top_srcdir/src/skip/client.c")
documented "skip-tool(1) names every long option" skip-tool.1 \
    $(sed -n 's/^ *{"\([a-z-]*\)", \(required\|no\)_argument.*/\1/p' "$top_srcdir/src/tools/skip-tool.c")
documented "skip-kpd(8) names every long option" skip-kpd.8 \
    $(sed -n 's/^ *{"\([a-z-]*\)", \(required\|no\)_argument.*/\1/p' "$top_srcdir/src/kpd/main.c")
documented "skip-pkcs11-server(8) names every long option" skip-pkcs11-server.8 \
    $(sed -n 's/^ *{"\([a-z-]*\)", \(required\|no\)_argument.*/\1/p' "$top_srcdir/src/tools/skip-pkcs11-server.c")
documented "skip-testbed(1) names every option" skip-testbed.1 \
    $(grep -o -- '--[a-z-]*)' "$top_srcdir/src/tools/skip-testbed.in" | tr -d ')' | sort -u)
finish
