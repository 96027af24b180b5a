#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `make crash-test`: CRASH_ROUNDS (20) rounds of kill -9 on a random KP of
# skip-testbed at a random moment while CRASH_WORKERS (4) clients run, each
# asking Alice for a key for Bob and then Bob for that keyId, in a loop.
# After each restart every keyId Alice issued that no client has received
# from Bob yet is asked for once more.
#
# Counts: issued, delivered (to a client, with Alice's key), never
# delivered, delivered twice. Passes when no keyId is delivered twice, none
# with another key, and every never-delivered keyId is one whose delivery
# Bob had committed when he was killed before answering: its only answered
# request says "already delivered" in Bob's log and one of its requests was
# cut off by the kill. A keyId refused for any other reason, or never
# asked of a Bob that was up, fails the run.
#
# CRASH_HA=1: the high-availability round. Bob's site is two instances on
# one PostgreSQL ledger, clients list both URLs (skip-tool moves to the
# other on a cut connection), and each round kills one of the two at
# random while the other serves; right after the kill the module, whose
# slot lists the victim first, must find a key through the survivor
# within 1 s. A keyId whose request was cut off by the kill may then be
# refused by the survivor as delivered: the victim committed it.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

ROUNDS=${CRASH_ROUNDS:-20}
WORKERS=${CRASH_WORKERS:-4}
HA=${CRASH_HA:-0}

if [ "$HA" = 1 ]; then
    need_postgresql
    testbed_up --ledger postgresql --instances 2
else
    testbed_up
fi
: > "$T/events"

# A number in [0, $1) from the kernel's generator.
random_below() {
    echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 ))
}

# One client: "issued ID SHA", then "delivered ID SHA" or
# "failed ID EXIT MESSAGE" lines, appended whole to $T/events.
worker() {
    out=$T/w$1.out err=$T/w$1.err
    while [ ! -e "$T/stop" ]; do
        alice key Bob > "$out" 2> "$err" || continue
        id=$(json_field keyId "$out")
        line="issued $id $(json_field keySha256 "$out")"
        bob key-by-id "$id" Alice > "$out" 2> "$err"
        rc=$?
        if [ $rc -eq 0 ]; then
            line="$line
delivered $id $(json_field keySha256 "$out")"
        else
            line="$line
failed $id $rc $(head -c 160 "$err" | tr '\n' ' ')"
        fi
        echo "$line" >> "$T/events"
    done
}

# Asks Bob once more for every issued keyId no client has received yet.
retry_undelivered() {
    awk '$1 == "issued" { issued[$2] = 1 } $1 == "delivered" { got[$2] = 1 }
         $1 == "retried" { done[$2] = 1 }
         END { for (id in issued) if (!(id in got) && !(id in done)) print id }' \
        "$T/events" > "$T/pending"
    while read -r id; do
        bob key-by-id "$id" Alice > "$T/out" 2> "$T/err"
        rc=$?
        if [ $rc -eq 0 ]; then
            echo "delivered $id $(json_field keySha256)" >> "$T/events"
        else
            echo "failed $id $rc $(head -c 160 "$T/err" | tr '\n' ' ')" >> "$T/events"
        fi
        echo "retried $id" >> "$T/events"
    done < "$T/pending"
}

for round in $(seq 1 "$ROUNDS"); do
    rm -f "$T/stop"
    pids=""
    for w in $(seq 1 "$WORKERS"); do
        worker "$w" &
        pids="$pids $!"
    done
    moment_ms=$((200 + $(random_below 1300)))
    if [ "$HA" = 1 ]; then
        victim=bob:$(random_below 2)
        pid=$(echo "$SKIP_TESTBED_BOB_PIDS" | cut -d' ' -f$((${victim#bob:} + 1)))
        url=$(echo "$SKIP_TESTBED_BOB_URLS" | cut -d' ' -f$((${victim#bob:} + 1)))
        alice_p11 "keygen hmac" > "$T/ha.out" 2> "$T/ha.err" ||
            { echo "Bail out! the module could not generate at Alice"; exit 1; }
        kid=$(p11_field keyid "$T/ha.out")
        sed "s|^url = .*|url = $url $SKIP_TESTBED_BOB_URLS|" "$SKIP_TESTBED_BOB_MODULE_CONF" > "$T/victim-first.conf"
    elif [ "$(random_below 2)" -eq 0 ]; then
        victim=alice pid=$SKIP_TESTBED_ALICE_PID
    else
        victim=bob pid=$SKIP_TESTBED_BOB_PID
    fi
    sleep "$(awk -v ms="$moment_ms" 'BEGIN { print ms / 1000 }')"
    kill -9 "$pid"
    echo "killed $victim $round" >> "$T/events"
    if [ "$HA" = 1 ]; then
        # The survivor carries the module's request; a generous bound on
        # a shared machine, far above the ~50 ms it takes.
        start=$(date +%s%N)
        SKIP_PKCS11_CONF=$T/victim-first.conf "$P11" "$MODULE" "find $kid" > "$T/ha.out" 2> "$T/ha.err"
        took=$((($(date +%s%N) - start) / 1000000))
        if grep -q '^found 1$' "$T/ha.out"; then found=yes; else found=no; fi
        echo "carried $round $found $took" >> "$T/events"
    fi
    "$TESTBED" start "$T" "$victim" > /dev/null || { echo "Bail out! $victim did not restart"; exit 1; }
    . "$T/env"
    sleep 0.3
    touch "$T/stop"
    for p in $pids; do wait "$p"; done
    retry_undelivered
    echo "# round $round: kill -9 $victim after $moment_ms ms;" \
        "$(grep -c '^issued' "$T/events") keyIds issued so far"
done

# Each keyId's story, one line: ID ISSUED_SHA DELIVERIES MISMATCHES
# CUT_OFF (requests ended without an answer) REFUSED_BOB_DOWN.
awk '
$1 == "issued" { sha[$2] = $3 }
$1 == "delivered" { n[$2]++; if ($3 != sha[$2]) bad[$2]++ }
$1 == "failed" {
    # skip-tool names the next URL it tries after a cut connection
    if ($0 ~ /trying https/) { cut[$2]++; if ($3 == 6) refused[$2]++ }
    else if ($3 == 6) refused[$2]++
    else if ($0 ~ /Couldn.t connect/) down[$2]++
    else cut[$2]++
}
END {
    for (id in sha)
        printf "%s %d %d %d %d %d\n", id, n[id] + 0, bad[id] + 0, cut[id] + 0, refused[id] + 0, down[id] + 0
}' "$T/events" > "$T/keys"

issued=$(wc -l < "$T/keys")
delivered=$(awk '$2 >= 1' "$T/keys" | wc -l)
twice=$(awk '$2 >= 2' "$T/keys" | wc -l)
mismatched=$(awk '$3 > 0' "$T/keys" | wc -l)
never=$(awk '$2 == 0' "$T/keys" | wc -l)
# A never-delivered keyId is explained only by a cut-off request and a
# refusal Bob's log gives as "already delivered" (the reason's line comes
# just before the request's).
refused_as_delivered() {
    for log in "$T"/bob/kpd.log "$T"/bob/i*/kpd.log; do
        [ -f "$log" ] || continue
        awk -v id="$1" 'index($0, "/key/" id "?") && / 400 / && prev ~ /keyId already delivered/ { found = 1 }
             { prev = $0 } END { exit !found }' "$log" && return 0
    done
    return 1
}
unexplained=0
for id in $(awk '$2 == 0 { print $1 }' "$T/keys"); do
    cut=$(awk -v id="$id" '$1 == id { print $4 }' "$T/keys")
    if [ "$cut" -eq 0 ] || ! refused_as_delivered "$id"; then
        unexplained=$((unexplained + 1))
        echo "# never delivered, unexplained: $id: $(grep " $id " "$T/events" | tr '\n' ';')"
    fi
done

if [ "$HA" = 1 ]; then
    echo "# crash-test (HA): $ROUNDS rounds, $WORKERS clients," \
        "$(grep -c '^killed bob:0' "$T/events") kills of Bob's instance 0," \
        "$(grep -c '^killed bob:1' "$T/events") of instance 1; the module" \
        "carried on in $(awk '$1 == "carried" { print $4 }' "$T/events" | sort -n | tail -n 1) ms at most"
    expect_eq "after every kill the module found its key through the survivor" \
        "$(awk '$1 == "carried" && $3 == "yes"' "$T/events" | wc -l)" "$ROUNDS"
    expect_eq "... within 1 s" \
        "$(awk '$1 == "carried" && $4 > 1000' "$T/events" | wc -l)" 0
else
    echo "# crash-test: $ROUNDS rounds, $WORKERS clients," \
        "$(grep -c '^killed alice' "$T/events") kills of Alice," \
        "$(grep -c '^killed bob' "$T/events") of Bob"
fi
echo "# issued $issued, delivered $delivered, never delivered $never" \
    "(each cut off by a kill after Bob committed it), delivered twice $twice"
[ "$issued" -gt 0 ] && ok "keyIds were issued ($issued)" || not_ok "no keyId issued"
expect_eq "no keyId delivered twice" "$twice" 0
expect_eq "no keyId delivered with another key" "$mismatched" 0
expect_eq "every never-delivered keyId was committed by Bob before a kill cut its answer off" \
    "$unexplained" 0
expect_eq "issued = delivered + never delivered" "$issued" $((delivered + never))
finish
