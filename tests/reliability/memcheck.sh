#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `make memcheck`'s verdict: reads the valgrind log of every process the
# suites ran (one file per process in DIR) and prints the counts. Fails on
# any error or any byte definitely lost. A process killed with SIGKILL on
# purpose (the durability tests) leaves a log without a summary; those are
# counted, not judged.
set -u
dir=$1
processes=0 summarized=0 cut_short=0 errors=0 lost=0 bad=""
for log in "$dir"/*.log; do
    [ -f "$log" ] || continue
    processes=$((processes + 1))
    e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d ,)
    if [ -z "$e" ]; then
        cut_short=$((cut_short + 1))
        continue
    fi
    summarized=$((summarized + 1))
    l=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | head -n 1)
    : "${l:=0}"
    errors=$((errors + e))
    lost=$((lost + l))
    if [ "$e" -ne 0 ] || [ "$l" -ne 0 ]; then
        bad="$bad $log"
    fi
done
echo "memcheck: $processes processes, $summarized with a summary," \
    "$cut_short ended by SIGKILL or still running"
echo "memcheck: $errors errors, $lost bytes definitely lost"
for log in $bad; do
    echo "==== $log"
    sed -n '/Invalid\|uninitialised\|definitely lost in\|Mismatched\|ERROR SUMMARY/,+12p' "$log" | head -n 60
done
[ "$processes" -gt 0 ] || { echo "memcheck: no valgrind log in $dir"; exit 1; }
[ -z "$bad" ]
