# SPDX-License-Identifier: BSD-3-Clause
# The guides run as written: every ```sh block marked <!-- runnable --> in
# the guides below runs, in order, as one script with `set -eu`, in a
# temp directory, with the build tree's programs first on PATH. A guide
# that stops working fails here.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"
need pkcs11-tool

# The module may carry a sanitizer's runtime, which pkcs11-tool lacks.
san_preload=$(ldd "$MODULE" | awk '/lib(asan|ubsan)\.so/ { printf "%s ", $3 }')

for guide in deploy.md; do
    script=$T/${guide%.md}.sh
    {
        echo "set -eu"
        if [ -n "$san_preload" ]; then
            echo "pkcs11-tool() { LD_PRELOAD='$san_preload' ASAN_OPTIONS=detect_leaks=0 command pkcs11-tool \"\$@\"; }"
        fi
        awk '/^<!-- runnable -->$/ { armed = 1; next }
             armed && /^```sh$/ { inside = 1; next }
             inside && /^```$/ { inside = 0; armed = 0; print ""; next }
             inside { print }' "$top_srcdir/docs/$guide"
    } > "$script"
    blocks=$(grep -c '^<!-- runnable -->$' "$top_srcdir/docs/$guide")
    [ "$blocks" -gt 0 ] && ok "$guide has runnable blocks ($blocks)" || not_ok "$guide has runnable blocks"
    expect_exit 0 "$guide runs as written" \
        env DIR="$T/${guide%.md}" M="$MODULE" PATH="$top_builddir:$PATH" bash "$script"
    # whatever it started, it stopped
    for pidfile in "$T/${guide%.md}"/*/kpd.pid; do
        [ -f "$pidfile" ] || continue
        if kill -0 "$(cat "$pidfile")" 2> /dev/null; then
            not_ok "$guide left a process running"
            kill "$(cat "$pidfile")"
        fi
    done
done
finish
