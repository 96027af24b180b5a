# SPDX-License-Identifier: BSD-3-Clause
# One-time delivery survives a failing disk. Bob's KP runs with faultfs
# (an LD_PRELOAD shim) making its ledger's write, a short write, fdatasync,
# or the rewrite's fsync or rename fail with ENOSPC, EIO or EDQUOT while a
# trigger file exists. For each case: keys delivered before stay delivered;
# while the disk fails every delivery is a 500 without the key; once space
# returns the KP recovers by itself and delivers what it refused; after a
# kill -9 in the middle of the failure and a restart, no keyId is
# delivered twice and none delivered is lost; and nothing ever truncates
# the ledger. make check runs each call once (each errno at least once);
# DISK_FULL_ALL=1 (make crash-test) runs every call with every errno.
. "$top_srcdir/tests/integration/lib.sh"

SHIM="$top_builddir/.libs/libfaultfs.so"
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built (make check builds it)"; exit 1; }
if [ -n "${DISK_FULL_ALL:-}" ]; then
    cases="write:ENOSPC write:EIO write:EDQUOT short:ENOSPC short:EIO
           fdatasync:ENOSPC fdatasync:EIO fdatasync:EDQUOT
           write,fsync:ENOSPC write,fsync:EIO write,fsync:EDQUOT
           write,rename:ENOSPC write,rename:EIO write,rename:EDQUOT"
else
    cases="write:ENOSPC short:ENOSPC fdatasync:EIO write,fsync:EDQUOT write,rename:ENOSPC"
fi
TRIGGER=$T/disk-full

testbed_up
# start_bob CALLS ERRNO: Bob's KP (re)started with the shim, faults off.
start_bob() {
    "$TESTBED" stop "$T" bob > /dev/null 2>&1 || true
    env LD_PRELOAD="$SHIM" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        FAULTFS_MATCH=delivered.log FAULTFS_CALLS="$1" FAULTFS_ERRNO="$2" \
        FAULTFS_TRIGGER="$TRIGGER" FAULTFS_LOG="$T/faultfs.calls" \
        "$TESTBED" start "$T" bob > /dev/null
    . "$T/env"
}
# ask ID: Bob's answer to a request for ID; a 200 is counted for that id.
ask() {
    bob raw GET "/key/$1?remoteSystemID=Alice" > "$T/ask.out" 2>&1
    status=$(sed -n 's/^status: //p' "$T/ask.out")
    [ "$status" = 200 ] && echo "$1" >> "$T/delivered"
    echo "$status"
}
statuses() { # IDS: their answers, space-separated
    out=""
    for id in "$@"; do out="$out$(ask "$id") "; done
    echo "$out"
}
: > "$T/delivered"

for case in $cases; do
    calls=${case%%:*} errno=${case#*:}
    ids=""
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        alice key Bob > "$T/k" || { echo "Bail out! Alice issues no key"; exit 1; }
        ids="$ids $(json_field keyId "$T/k")"
    done
    set -- $ids
    first="$1 $2 $3 $4" during="$5 $6 $7 $8" crash="$9 ${10} ${11} ${12}"
    rm -f "$TRIGGER"
    start_bob "$calls" "$errno"

    expect_eq "$case: four keys delivered" "$(statuses $first)" "200 200 200 200 "
    touch "$TRIGGER"
    expect_eq "$case: while the disk fails, 500 and no key" \
        "$(statuses $during)" "500 500 500 500 "
    expect_no_match "$case: ... no key in the answer" "$T/ask.out" '"key"'
    expect_match "$case: ... the KP says why" "$T/bob/kpd.log" \
        "ledger .*delivered.log.*(No space left on device|Input/output error|Disk quota exceeded)"
    rm -f "$TRIGGER"
    sleep 1.2 # the tick retries the rewrite
    expect_eq "$case: space back, it recovers without a restart" \
        "$(statuses $during)" "200 200 200 200 "
    expect_eq "$case: ... and nothing is delivered twice" \
        "$(statuses $first $during)" "400 400 400 400 400 400 400 400 "

    touch "$TRIGGER"
    expect_eq "$case: failing again" "$(statuses $9 ${10})" "500 500 "
    kill -9 "$SKIP_TESTBED_BOB_PID"
    rm -f "$TRIGGER"
    start_bob "$calls" "$errno"
    expect_eq "$case: after kill -9 and a restart, what was delivered stays so" \
        "$(statuses $first $during)" "400 400 400 400 400 400 400 400 "
    # The two refused during the failure: their record may have reached
    # the file without its sync (an fdatasync that failed); after a crash
    # that cannot be told apart from a durable one, so such a key is
    # refused (400), never given twice. The two never asked are served.
    statuses $crash > "$T/crash.out"
    expect_match "$case: ... what was refused is delivered or held back" \
        "$T/crash.out" '^(200|400) (200|400) 200 200 $'
    expect_eq "$case: ... and nothing of it twice" "$(statuses $crash)" "400 400 400 400 "
done

expect_eq "no keyId was delivered twice" "$(sort "$T/delivered" | uniq -d | wc -l)" 0
expect_no_match "the ledger was never truncated" "$T/faultfs.calls" '^ftruncate '
expect_match "... (the shim saw its calls)" "$T/faultfs.calls" '^fdatasync .*delivered.log$'
finish
