#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ensure-tools.sh WHO TOOL:PACKAGE...: installs the Debian packages of the
# tools that are missing (as root), or says which to install and fails.
# WHO names the make target in the messages. Used by the long runs (bench,
# soak, crash-test, memcheck) that need tools `make check` does not.
set -eu
who=$1
shift
missing=""
for tool in "$@"; do
    command -v "${tool%%:*}" > /dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "$who: missing packages; as root run: apt-get install -y$missing" >&2
    exit 1
fi
# Daemons (nginx) are started only by our scripts, from their own config:
# keep a package's service from starting, with a policy of our own if
# there is none.
made_policy=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=yes
fi
echo "$who: installing$missing"
status=0
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing ||
    { apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } ||
    status=$?
[ "$made_policy" = no ] || rm -f /usr/sbin/policy-rc.d
exit "$status"
