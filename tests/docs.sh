# SPDX-License-Identifier: BSD-3-Clause
# The guides run as written. In each guide below, the fenced blocks marked
# <!-- runnable --> (shell) and <!-- runnable file NAME --> (a file the
# guide's commands then use: a config, a program) make one script, run
# with `set -eu` in an empty work directory, with the build tree's programs
# first on PATH, DIR naming a directory that does not exist yet, M the
# module and EX a copy of the examples as `make install` lays them out.
# A guide that stops working fails here.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"
need pkcs11-tool
need curl # operations.md reads the management listener
need_postgresql # ha.md and skip-testbed.md run PostgreSQL

# DOC_GUIDES=NAME.md runs one while a guide is being written.
guides=${DOC_GUIDES:-"deploy.md pkcs11-tool.md p11tool.md ikev2-ppk.md pykcs11.md
        java.md skip-pkcs11.md skip-tool.md skip-testbed.md nss.md etsi014.md ha.md
        operations.md"}

# The module may carry a sanitizer's runtime, which the hosts (pkcs11-tool,
# python3, java, the example) lack: every process of a guide gets it first.
san_preload=$(ldd "$MODULE" | awk '/lib(asan|ubsan)\.so/ { printf "%s ", $3 }')

mkdir "$T/examples"
cp "$top_srcdir/examples/ikev2-ppk.c" "$top_srcdir/src/pkcs11/pkcs11-3.h" "$T/examples/"

script_of() { # GUIDE: its runnable blocks as one shell script
    echo "set -eu"
    # A host that loads p11-kit-client.so, not the module, runs without the
    # sanitizer runtime: NSS's tools trip over it at load, and it reports
    # p11-kit-client's own overreads (tests/interop/nss.sh, interop-lib.sh).
    # curl loads no module either, and hangs with the runtime preloaded.
    for tool in certutil modutil symkeyutil curl; do
        echo "$tool() { LD_PRELOAD= command $tool \"\$@\"; }"
    done
    for tool in pkcs11-tool p11tool; do
        echo "$tool() { case \"\$*\" in *p11-kit-client*) LD_PRELOAD= command $tool \"\$@\" ;;" \
             "*) command $tool \"\$@\" ;; esac; }"
    done
    awk 'BEGIN { q = sprintf("%c", 39) }
         /^<!-- runnable -->$/ { armed = "sh"; next }
         /^<!-- runnable file [^ ]+ -->$/ { armed = $4; next }
         !inside && armed != "" && /^```/ {
             inside = 1
             if (armed != "sh") print "cat > " armed " <<" q "GUIDE_FILE_END" q
             next
         }
         inside && /^```$/ {
             if (armed != "sh") print "GUIDE_FILE_END"
             inside = 0; armed = ""; print ""; next
         }
         inside { print }
         !inside && armed != "" && !/^$/ { armed = "" } # the mark is for the next block only' "$1"
}

for guide in $guides; do
    name=${guide%.md}
    work=$T/work-$name
    mkdir "$work"
    script_of "$top_srcdir/docs/$guide" > "$T/$name.sh"
    blocks=$(grep -c '^<!-- runnable' "$top_srcdir/docs/$guide" || true)
    [ "$blocks" -gt 0 ] && ok "$guide has runnable blocks ($blocks)" ||
        not_ok "$guide has runnable blocks"
    (
        cd "$work"
        if [ -n "$san_preload" ]; then
            export LD_PRELOAD="$san_preload"
            export ASAN_OPTIONS="detect_leaks=0:handle_segv=0:allow_user_segv_handler=1"
        fi
        DIR=$T/$name M=$MODULE EX=$T/examples PATH="$top_builddir:$PATH" \
            bash "$T/$name.sh" > "$T/$name.out" 2>&1
    ) && got=0 || got=$?
    if [ "$got" -eq 0 ]; then
        ok "$guide runs as written"
        # whatever a guide started, it stopped
        if pgrep -f "$T/$name/" > /dev/null; then
            not_ok "$guide left processes running: $(pgrep -af "$T/$name/" | tr '\n' ';')"
        fi
    else
        not_ok "$guide runs as written: exit $got; its last lines:"
        tail -n 25 "$T/$name.out" | sed 's/^/#   /'
    fi
    [ -f "$T/$name/env" ] && "$top_builddir/skip-testbed" down "$T/$name" > /dev/null 2>&1
    pkill -f "$T/$name/" || true
done
finish
