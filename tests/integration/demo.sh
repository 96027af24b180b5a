# SPDX-License-Identifier: BSD-3-Clause
# `make demo` (the README's first command) works and reports a match.
. "$top_srcdir/tests/integration/lib.sh"

expect_exit 0 "the demo runs" sh "$top_srcdir/demo/demo.sh"
expect_match "... and reports a match" "$T/out" '^== MATCH'
expect_no_match "... printing no key" "$T/out" '"key":'
finish
