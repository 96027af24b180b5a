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
# (every strcmp against name on a line, and a source's {"key", MIN, MAX} rows)
keys_of() {
    { grep -ho 'strcmp(name, "[a-z_0-9]*")' "$@"; grep -ho '{"[a-z_0-9]*", [0-9]' "$@"; } |
        sed 's/.*"\([a-z_0-9]*\)".*/\1/' | sort -u
}
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
    $(grep -o -- '--[a-z0-9-]*)' "$top_srcdir/src/tools/skip-testbed.in" | tr -d ')' | sort -u)

# And the other way: every option, key and environment variable a page
# defines (its .TP entries) is one the code takes, so a page cannot
# promise what the program refuses.
tags_of() { sed -n '/^\.TP/{n;p}' "$top_builddir/man/$1" | sed 's/\\-/-/g'; }
accepted() { # DESCRIPTION "ACCEPTED..." DEFINED...
    desc=$1 accepted=" $(echo $2) "
    shift 2
    unknown=""
    for name in "$@"; do
        case $accepted in *" $name "*) ;; *) unknown="$unknown $name" ;; esac
    done
    expect_eq "$desc" "$unknown" ""
}
long_options() { sed -n 's/^ *{"\([a-z-]*\)", \(required\|no\)_argument.*/--\1/p' "$@"; }
options_of() { tags_of "$1" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
keys_in() { # the names a configuration page's entries define: ".B key", ".BR a ", " b"
    tags_of "$1" | grep '^\.BR\? [a-z]' | sed 's/^\.BR\? //; s/"[^"]*"//g' |
        grep -o '[a-z][a-z_0-9]*' | sort -u
}
conf_keys() {
    { grep -ho 'strcmp(\(name\|key\), "[a-z_0-9]*")' "$@"; grep -ho '{"[a-z_0-9]*", [0-9]' "$@"; } |
        sed 's/.*"\([a-z_0-9]*\)".*/\1/' | sort -u
}
accepted "skip-tool(1) defines only options skip-tool takes" \
    "$(long_options "$top_srcdir/src/tools/skip-tool.c")" $(options_of skip-tool.1)
accepted "skip-kpd(8) defines only options skip-kpd takes" \
    "$(long_options "$top_srcdir/src/kpd/main.c")" $(options_of skip-kpd.8)
accepted "skip-pkcs11-server(8) defines only options it takes" \
    "$(long_options "$top_srcdir/src/tools/skip-pkcs11-server.c")" $(options_of skip-pkcs11-server.8)
accepted "skip-testbed(1) defines only options skip-testbed takes" \
    "$(grep -o -- '--[a-z0-9-]*\( \]\|)\)' "$top_srcdir/src/tools/skip-testbed.in" | tr -d ') ]')" \
    $(options_of skip-testbed.1)
accepted "skip-kpd.conf(5) defines only keys skip-kpd reads" \
    "$(conf_keys "$top_srcdir/src/kpd/config.c" "$top_srcdir"/src/kpd/sync-*.c "$top_srcdir/src/kpd/clients.c")" \
    $(keys_in skip-kpd.conf.5)
accepted "skip-pkcs11.conf(5) defines only keys the module reads" \
    "$(conf_keys "$top_srcdir/src/pkcs11/config.c" "$top_srcdir/src/skip/client.c")" \
    $(keys_in skip-pkcs11.conf.5)
# skip-tool's [kp] keys, listed in its -c entry, are the client's keys and remote
accepted "skip-tool(1)'s config keys are the ones skip-tool reads" \
    "$(conf_keys "$top_srcdir/src/skip/client.c" "$top_srcdir/src/tools/skip-tool.c")" \
    $(sed -n '/^\.BI \\-c /,/^\.TP/p' "$top_builddir/man/skip-tool.1" |
        sed -n 's/^\.BR\? \([a-z][a-z_]*\).*/\1/p' | grep -v '^key$\|^and$')
expect_eq "... all of them" "$(sed -n '/^\.BI \\-c /,/^\.TP/p' "$top_builddir/man/skip-tool.1" |
        sed -n 's/^\.BR\? \([a-z][a-z_]*\).*/\1/p' | grep -v '^key$\|^and$' | sort -u | tr '\n' ' ')" \
    "$(conf_keys "$top_srcdir/src/skip/client.c" "$top_srcdir/src/tools/skip-tool.c" | tr '\n' ' ')"

# Numeric keys: the page gives the range the parser enforces, as MIN..MAX.
ranges_of() { # FILE...: "key min max" for each literal range a parser checks
    awk 'match($0, /strcmp\(name, "[a-z_0-9]+"\)/) {
             key = substr($0, RSTART + 14, RLENGTH - 16); next_lines = 2; next }
         next_lines-- > 0 && match($0, /(set_uint\(.*|skip_parse_uint\(value), [0-9]+, [0-9]+[,)]/) {
             call = substr($0, RSTART, RLENGTH - 1)
             n = split(call, f, /, */)
             print key, f[n - 1], f[n]; next_lines = 0 }' "$@"
}
range_documented() { # PAGE FILE...
    page=$1
    shift
    while read -r key min max; do
        entry=$(sed -n "/^\\.BR\\? $key\\b/,/^\\.TP/p" "$top_builddir/man/$page")
        case $entry in
        *"$min..$max"*) ok "$page gives $key's range $min..$max" ;;
        *) not_ok "$page gives $key's range $min..$max" ;;
        esac
    done <<EOF
$(ranges_of "$@")
EOF
}
range_documented skip-kpd.conf.5 "$top_srcdir/src/kpd/config.c" "$top_srcdir"/src/kpd/sync-*.c
range_documented skip-pkcs11.conf.5 "$top_srcdir/src/pkcs11/config.c"

# Environment variables: each program's, on its page; each a page names,
# read by the code.
env_documented() { # PAGE VARIABLE...
    page=$1
    shift
    for var in "$@"; do
        expect_match "$page documents $var" "$top_builddir/man/$page" "$(echo "$var" | sed 's/_/\\\\?_/g')"
    done
}
env_documented skip-tool.1 SKIP_DEBUG
env_documented skip-kpd.8 SKIP_KPD_DEBUG
env_documented skip-pkcs11.8 SKIP_PKCS11_CONF SKIP_PKCS11_DEBUG
env_documented skip-testbed.1 SKIP_KPD
for var in $(grep -how 'SKIP_[A-Z0-9_]*[A-Z0-9]' "$top_builddir"/man/*.[158] | sort -u); do
    case $var in
    SKIP_TESTBED_*) where=$top_srcdir/src/tools/skip-testbed.in ;; # the env file it writes
    *) where=$top_srcdir/src ;;
    esac
    if grep -rqw -- "$var" "$where"; then
        ok "$var, named in a page, is in the code"
    else
        not_ok "$var, named in a page, is in no source file"
    fi
done
finish
