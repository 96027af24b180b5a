# SPDX-License-Identifier: BSD-3-Clause
# The conformance suite against SoftHSM2, on a throwaway token. Its known
# departures from the standard are TAP TODO items, each naming the clause.
set -u
: "${top_builddir:=$(pwd)}"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
[ -f "$SOFTHSM" ] && command -v softhsm2-util > /dev/null ||
    { echo "SKIP: softhsm2 not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/skip-conformance.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$T" > "$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label control --so-pin 87654321 \
    --pin 123456 > /dev/null || { echo "Bail out! softhsm2-util --init-token"; exit 1; }
# SoftHSM2's own allocations are not ours to report.
ASAN_OPTIONS="detect_leaks=0" "$top_builddir/conformance" "$SOFTHSM" 123456 softhsm2
