# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for the integration tests: a private temp dir, a testbed
# in it that is always torn down, and checks that print TAP-style lines.
# A test sources this file, calls check helpers, and ends with `finish`.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
# A sanitizer report must not pass for one of skip-tool's own exit codes.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"

T=$(mktemp -d "${TMPDIR:-/tmp}/skip-test.XXXXXX")

# built NAME: the path to run the built program NAME by. `make memcheck`
# sets SKIP_TEST_WRAPPER (valgrind and its options); each program then runs
# through a small script that execs it under the wrapper, so the daemons
# the testbed starts and every client a test runs are checked too.
built() {
    if [ -z "${SKIP_TEST_WRAPPER:-}" ]; then
        echo "$top_builddir/$1"
        return
    fi
    mkdir -p "$T/wrap"
    printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$SKIP_TEST_WRAPPER" \
        "$top_builddir/$1" > "$T/wrap/$1"
    chmod +x "$T/wrap/$1"
    echo "$T/wrap/$1"
}

TOOL=$(built skip-tool)
TESTBED=$top_builddir/skip-testbed
KPD=$(built skip-kpd)
export SKIP_KPD="$KPD"
failures=0
checks=0
cleanup_hooks=""

cleanup() {
    status=$?
    for hook in $cleanup_hooks; do "$hook"; done
    [ -f "$T/env" ] && "$TESTBED" down "$T" >/dev/null 2>&1
    # The KPs ran in the background: their sanitizer reports (leaks are
    # reported at exit, after `down`) are only in their logs.
    for log in "$T"/*/kpd.log "$T"/*/i*/kpd.log; do
        [ -f "$log" ] || continue
        if grep -Eq 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$log"; then
            echo "not ok - sanitizer report in $log:"
            cat "$log"
            status=1
        fi
    done
    # KEEP_T=1 keeps the temp dir (logs, configs) to look at after a run.
    [ -n "${KEEP_T:-}" ] || rm -rf "$T"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

on_cleanup() { cleanup_hooks="$cleanup_hooks $1"; }

# Exits 77 (skip) when a tool the test needs is missing.
need() {
    command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed"; exit 77; }
}

# Exits 77 when no PostgreSQL server is installed, but only when run by
# hand: under CI bootstrap installs one, and its absence is a failure.
need_postgresql() {
    if [ -n "${SKIP_PG_BINDIR:-}" ] || ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
        return 0
    fi
    if [ -n "${CI:-}" ]; then
        echo "Bail out! no PostgreSQL server (./bootstrap installs it)"
        exit 1
    fi
    echo "SKIP: no PostgreSQL server (apt-get install postgresql)"
    exit 77
}

# dgram_listen SOCKET LOG [UNTIL]: tests/dgram-listen.py in the background
# (its PID in $listener), once its socket exists.
dgram_listen() {
    python3 "$top_srcdir/tests/dgram-listen.py" "$@" &
    listener=$!
    dgram_i=0
    while [ ! -S "$1" ] && [ $dgram_i -lt 100 ]; do sleep 0.05; dgram_i=$((dgram_i + 1)); done
}

# psql against the testbed's cluster, as its owner: psql SITE SQL
psql_site() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$SKIP_TESTBED_PG_BINDIR/psql" -X -q -At -h "$SKIP_TESTBED_PG_DIR" \
            -U skip -d "skip_$1" -c "$2"
    else
        "$SKIP_TESTBED_PG_BINDIR/psql" -X -q -At -h "$SKIP_TESTBED_PG_DIR" -U skip -d "skip_$1" -c "$2"
    fi
}

ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
not_ok() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    echo "not ok $checks - $*"
}

testbed_up() {
    # SKIP_TESTBED_ARGS: the same tests over another testbed (tests/kme/,
    # tests/integration/workers-*.sh).
    "$TESTBED" up "$T" ${SKIP_TESTBED_ARGS:-} "$@" ||
        { echo "Bail out! skip-testbed up $*"; exit 1; }
    . "$T/env"
    case " ${SKIP_TESTBED_ARGS:-} " in
    *" --workers "*)
        expect_match "the KPs serve with their workers" "$T/alice/kpd.log" \
            '[0-9]+ workers serve connections' ;;
    esac
    # Under valgrind a TLS handshake takes seconds: clients wait longer.
    if [ -n "${SKIP_TEST_WRAPPER:-}" ]; then
        for conf in "$T"/*/tool.conf "$T"/*/module.conf; do
            printf 'timeout_ms = 120000\nconnect_timeout_ms = 60000\n' >> "$conf"
        done
    fi
}

alice() { "$TOOL" -c "$SKIP_TESTBED_ALICE_TOOL_CONF" "$@"; }
bob() { "$TOOL" -c "$SKIP_TESTBED_BOB_TOOL_CONF" "$@"; }

# in_parallel N PREFIX COMMAND...: N copies of COMMAND at once, copy i's
# output in PREFIX.i and PREFIX.i.err; prints how many failed.
in_parallel() {
    n=$1 prefix=$2
    shift 2
    i=1
    while [ "$i" -le "$n" ]; do
        "$@" > "$prefix.$i" 2> "$prefix.$i.err" &
        eval "parallel_$i=\$!"
        i=$((i + 1))
    done
    failed=0 i=1
    while [ "$i" -le "$n" ]; do
        eval "wait \$parallel_$i" || failed=$((failed + 1))
        i=$((i + 1))
    done
    echo "$failed"
}

# race_deliveries IDS OUT: each keyId in IDS (skip-tool key output) asked
# of Bob by two clients at once; OUT gets their two exit codes per keyId.
race_deliveries() {
    : > "$2"
    for id in $(sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p' "$1"); do
        bob key-by-id "$id" Alice > /dev/null 2>&1 &
        a=$!
        bob key-by-id "$id" Alice > /dev/null 2>&1 &
        b=$!
        wait "$a"; ra=$?
        wait "$b"; rb=$?
        echo "$ra $rb" >> "$2"
    done
}

# expect_exit CODE DESCRIPTION COMMAND...: stdout goes to $T/out, stderr
# to $T/err; the check passes when COMMAND exits with CODE.
expect_exit() {
    want=$1 desc=$2
    shift 2
    "$@" > "$T/out" 2> "$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        ok "$desc"
    else
        not_ok "$desc: exit $got, want $want: $(head -c 300 "$T/err")"
    fi
}

# expect_match DESCRIPTION FILE REGEX
expect_match() {
    if grep -Eq -- "$3" "$2"; then
        ok "$1"
    else
        not_ok "$1: /$3/ not in $2: $(head -c 300 "$2")"
    fi
}

expect_no_match() {
    if grep -Eq -- "$3" "$2"; then
        not_ok "$1: /$3/ found in $2"
    else
        ok "$1"
    fi
}

expect_eq() { # DESCRIPTION GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

expect_ne() {
    if [ "$2" != "$3" ]; then ok "$1"; else not_ok "$1: both '$2'"; fi
}

# json_field NAME [FILE]: a string or number member of one-line JSON.
json_field() {
    sed -n 's/.*"'"$1"'":"\{0,1\}\([^",}]*\).*/\1/p' "${2:-$T/out}"
}

# A status line from `skip-tool raw`.
raw_status() { sed -n 's/^status: //p' "$T/out"; }

# --- a hostile KP: openssl s_server -WWW answers each request path with
# the file of that name under $T/www (TLS 1.3, certificate $T/kp.crt) ---
free_port() {
    perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1:0") or die; print $s->sockport'
}
stop_hostile_kp() { kill "$hostile_pid" 2>/dev/null; wait "$hostile_pid" 2>/dev/null; }
start_hostile_kp() { # sets hostile_port
    mkdir -p "$T/www/key"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/kp.key" -out "$T/kp.crt" -subj /CN=localhost \
        -addext subjectAltName=IP:127.0.0.1 -days 1 2>/dev/null
    hostile_port=$(free_port)
    (cd "$T/www" && exec openssl s_server -quiet -accept "127.0.0.1:$hostile_port" \
        -cert ../kp.crt -key ../kp.key -WWW -tls1_3 \
        -ciphersuites TLS_AES_256_GCM_SHA384 > /dev/null 2>&1) &
    hostile_pid=$!
    on_cleanup stop_hostile_kp
    i=0
    until perl -MIO::Socket::INET -e "IO::Socket::INET->new('127.0.0.1:$hostile_port') or exit 1" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
    done
}

# wait_for FILE ERE [TRIES]: until a line of FILE matches ERE, checking
# every 0.05 s, TRIES times at most (200: 10 s); false if none did.
wait_for() {
    wait_i=0
    until grep -Eq "$2" "$1" 2> /dev/null; do
        wait_i=$((wait_i + 1))
        [ "$wait_i" -lt "${3:-200}" ] || return 1
        sleep 0.05
    done
}

# --- recomputing a prf key from the shared secret (docs/kpd-prf.md) ---
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
unhex() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
kdf() { # keylen, then -kdfopt arguments
    kdf_len=$1
    shift
    openssl kdf -keylen "$kdf_len" -kdfopt digest:SHA256 "$@" HKDF |
        tr -d ':\n' | tr A-F a-f
}
# The secret of the keyId's epoch: the file holds the newest epoch; step
# the ratchet forward if the id was minted later (a day boundary).
prf_secret() { # keyId secret_file
    line=$(sort -n "$2" | tail -n 1)
    epoch=${line%% *}
    secret=${line#* }
    t_ms=$(( 0x$(echo "$1" | cut -c5-14) + 1704067200000 )) # layout 1
    while [ "$epoch" -lt $(( t_ms / 86400000 )) ]; do
        secret=$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$secret" \
            -kdfopt "hexinfo:$(hexof 'skip-kpd ratchet')")
        epoch=$((epoch + 1))
    done
    echo "$secret"
}
# The key of a keyId, as its source made it: recomputed from the shared
# secret (prf), or, on an etsi014 testbed, the fake KME's record of it.
prf_key() { # keyId issuer receiver secret_file bytes
    if [ -n "${SKIP_TESTBED_KME_DIR:-}" ]; then
        kme_key "$1" "$5"
        return
    fi
    kdf "$5" -kdfopt "hexkey:$(prf_secret "$1" "$4")" -kdfopt "hexsalt:$1" \
        -kdfopt "hexinfo:$(hexof 'skip-kpd key')00$(hexof "$2")00$(hexof "$3")"
}

# The KME's key_ID in a keyId (docs/etsi014.md): 16 bytes are a UUID,
# anything else is 00, the key_ID and perhaps one more 00.
kme_key_id() { # keyId
    if [ ${#1} -eq 32 ]; then
        echo "$1" | sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)/\1-\2-\3-\4-/'
    else
        perl -e '$_ = pack("H*", $ARGV[0]); s/^\0//; s/\0$//; print' "$1"
    fi
}

kme_key() { # keyId bytes: the key the fake KME made, if that long
    awk -v id="$(kme_key_id "$1")" -v n="$(($2 * 2))" \
        '$1 == id && length($2) == n { print $2 }' "$SKIP_TESTBED_KME_DIR/keys.log"
}

finish() {
    echo "1..$checks"
    echo "# $checks checks, $failures failed"
    [ "$failures" -eq 0 ]
    exit
}
