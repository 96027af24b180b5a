# SPDX-License-Identifier: BSD-3-Clause
# `make demo` (the README's first command) works and reports a match.
. "$top_srcdir/tests/integration/lib.sh"

demo_dirs_before=$(ls -d "${TMPDIR:-/tmp}"/skip-demo.* 2>/dev/null | grep -c .)
expect_exit 0 "the demo runs" sh "$top_srcdir/demo/demo.sh"
expect_match "... and reports a match" "$T/out" '^== MATCH'
if [ "${DEMO_KEY_SOURCE:-prf}" = etsi014 ]; then # tests/kme/demo.sh
    expect_match "... with keys from the KMEs" "$T/out" 'the SAE of a \(fake\) QKD KME'
fi
expect_match "... after a keyId went from Alice to Bob" "$T/out" '^   PPK keyId \(CKA_ID\) +[0-9a-f]{32}$'
expect_eq "... and three derived keys matched" \
    "$(grep -cE '^   SK_(d|pi|pr) +([0-9a-f]{16}) +\2 *$' "$T/out")" 3
expect_match "... while the PPK stayed unreadable" "$T/out" 'PPK value +unreadable to Bob'
expect_no_match "... printing no key (only 16-digit fingerprints)" "$T/out" '[0-9a-f]{40}'
expect_eq "... and leaving no temp dir behind" \
    "$(ls -d "${TMPDIR:-/tmp}"/skip-demo.* 2>/dev/null | grep -c .)" "$demo_dirs_before"
finish
