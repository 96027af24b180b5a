# SPDX-License-Identifier: BSD-3-Clause
# Replays every fuzz target's seed corpus (and the crash inputs kept in it)
# through the target, built without libFuzzer.
. "$top_srcdir/tests/integration/lib.sh"

for target in json url config request http mechanism template ini etsi014; do
    expect_exit 0 "fuzz-$target corpus replays" \
        "$top_builddir/replay-$target" "$top_srcdir/tests/fuzz/corpus/$target"
    expect_match "... over its seeds" "$T/out" 'replayed [1-9][0-9]* inputs, 0 unreadable'
done
finish
