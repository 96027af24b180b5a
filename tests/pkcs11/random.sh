# SPDX-License-Identifier: BSD-3-Clause
# C_GenerateRandom's DRBG (docs/random.md) against a real KP: entropy is
# fetched ahead in bulk, a refill thread runs only when the host allows
# threads and ends with C_Finalize, a forked child never repeats its
# parent's bytes, and with the KP gone the generator stops at its bound
# with CKR_DEVICE_ERROR and a log line, and recovers when the KP is back.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"
export SKIP_PKCS11_DEBUG=all

testbed_up
count_entropy() { grep -c 'GET .*/entropy?' "${1:-$T/err}"; }

# 1000 draws of 32 bytes: one 1 KiB sample seeds them all.
expect_exit 0 "1000 draws of 32 bytes" alice_p11 "randoms 1000 32"
expect_match "... all succeed" "$T/out" '^randoms 1000 CKR_OK$'
expect_eq "... one /entropy request" "$(count_entropy)" 1
expect_match "... of 8192 bits" "$T/err" 'GET .*/entropy\?minentropy=8192 -> 200'

# The refill thread: started by the first draw, ended by C_Finalize; none
# when the host says the library may not create threads.
expect_exit 0 "threads allowed" alice_p11 threads "random 32" threads finalize threads
before=$(sed -n 1p "$T/out" | sed 's/^threads //')
expect_eq "... one refill thread while initialized" \
    "$(grep "^threads" "$T/out" | sed -n 2p)" "threads $((before + 1))"
expect_eq "... gone after C_Finalize" "$(grep "^threads" "$T/out" | sed -n 3p)" "threads $before"
expect_exit 0 "CKF_LIBRARY_CANT_CREATE_OS_THREADS" \
    env P11_CLIENT_NO_THREADS=1 SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" \
    "$P11" "$MODULE" threads "randoms 2000 512" threads
expect_eq "... no thread is created" "$(sed -n 3p "$T/out")" "$(sed -n 1p "$T/out")"
expect_match "... and the draws still succeed" "$T/out" '^randoms 2000 CKR_OK$'
expect_eq "... the caller fetched its seed: one request" \
    "$(count_entropy)" 1

# Fork: the child answers CKR_CRYPTOKI_NOT_INITIALIZED until it
# initializes again, then draws bytes of its own.
expect_exit 0 "fork" alice_p11 "forkrandom 32"
expect_match "... the child must initialize again" "$T/out" \
    '^child-before: CKR_CRYPTOKI_NOT_INITIALIZED$'
child=$(p11_field child)
parent=$(p11_field parent)
expect_match "... the child draws" /dev/stdin '^[0-9a-f]{64}$' <<EOF
$child
EOF
expect_ne "... and never the parent's bytes" "$child" "$parent"

# Forks while the refill thread is asking the KP (prediction resistance
# drains the pool below half in 16 draws): the fork waits for the fetch,
# so no child inherits a lock of libcurl's, OpenSSL's or malloc's held.
{ cat "$SKIP_TESTBED_ALICE_MODULE_CONF"; echo "prediction_resistance = yes"; } > "$T/pr.conf"
set --
for _ in 1 2 3 4 5 6; do set -- "$@" "randoms 16 16" "forkrandom 32"; done
expect_exit 0 "six forks during refills" \
    env SKIP_PKCS11_CONF="$T/pr.conf" timeout 60 "$P11" "$MODULE" "$@"
expect_eq "... every child drew" "$(grep -c '^child [0-9a-f]\{64\}$' "$T/out")" 6
expect_eq "... no two draws alike" \
    "$(grep -E '^(child|parent) ' "$T/out" | cut -d' ' -f2 | sort -u | wc -l)" 12
expect_match "... while the thread fetched" "$T/err" 'GET .*/entropy\?minentropy=[0-9]* -> 200'

# Prediction resistance takes one 32-byte sample per call: with the KP
# stopped after the first draw, the 976 bytes left in the pool serve 30
# more calls, then C_GenerateRandom fails with one log line per attempt;
# the KP back, it serves again.
mkfifo "$T/go"
SKIP_PKCS11_CONF="$T/pr.conf" "$P11" "$MODULE" "random 16" wait "randoms 100 16" \
    wait "random 16" < "$T/go" > "$T/pr.out" 2> "$T/pr.err" &
client=$!
exec 9> "$T/go"
wait_for_line() {
    for _ in $(seq 100); do
        [ "$(grep -c '^waiting$' "$T/pr.out")" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
expect_exit 0 "prediction resistance: the first draw" wait_for_line 1
"$TESTBED" stop "$T" alice > /dev/null
echo go >&9
expect_exit 0 "... the KP stopped" wait_for_line 2
expect_match "... 30 calls from the pool, then CKR_DEVICE_ERROR" "$T/pr.out" \
    '^randoms 30 CKR_DEVICE_ERROR$'
expect_match "... logged: call, slot, path" "$T/pr.err" \
    'error: C_GenerateRandom: slot Alice: https://[^ ]* /entropy: '
"$TESTBED" start "$T" alice > /dev/null
echo go >&9
exec 9>&-
expect_exit 0 "... the KP back, the same process draws again" wait "$client"
expect_match "... 16 bytes" "$T/pr.out" '^random [0-9a-f]{32}$'

# A host that exits while the refill thread is in a KP request: here the
# KP's entropy source is empty (503), the caller's fetch fails, the thread
# starts and asks again, and the host exits with its error, without
# C_Finalize, as many do. The thread is stopped before OpenSSL's exit
# cleanup runs under it (one exit in five crashed before).
: > "$T/empty-hwrng"
printf '[kpd]\nentropy_file = %s\n' "$T/empty-hwrng" >> "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
codes=""
for _ in $(seq 30); do
    alice_p11 "random 16" > /dev/null 2>&1 && code=0 || code=$?
    codes="$codes$code"
done
expect_eq "thirty hosts exiting during a refill: each with its error, none crashed" \
    "$codes" "$(printf '1%.0s' $(seq 30))"

# A bad bound in the configuration: C_Initialize fails, naming it.
{ cat "$SKIP_TESTBED_ALICE_MODULE_CONF"; echo "reseed_bytes = 100"; } > "$T/bad.conf"
expect_exit 1 "reseed_bytes = 100" env SKIP_PKCS11_CONF="$T/bad.conf" "$P11" "$MODULE" "random 16"
expect_match "... is CKR_GENERAL_ERROR" "$T/out" '^error: C_Initialize: CKR_GENERAL_ERROR$'
expect_match "... with the file, line and rule" "$T/err" \
    "bad.conf:[0-9]*: reseed_bytes must be a number in 4096..1073741824"
finish
