# SPDX-License-Identifier: BSD-3-Clause
# skip-tool and the module against Key Providers that are stricter than
# skip-kpd, as other public SKIP implementations are: fakes written here
# from the draft's text (tests/interop/strict-kp.py), each with one
# behaviour: entropy only at 128/192/256 bits, entropy capped at 2048 bits,
# upper-case hex and extra JSON members, 422 for a missing parameter.
# docs/interop.md has the table of these behaviours and what meets them.
. "$top_srcdir/tests/interop/interop-lib.sh"
need python3

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/kp.key" -out "$T/kp.crt" -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -days 1 2> /dev/null
fake_pids=
stop_fakes() { for p in $fake_pids; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done; }
on_cleanup stop_fakes
start_fake() { # NAME FLAGS...: a strict KP on a free port, $NAME_port
    name=$1
    shift
    port=$(free_port)
    python3 "$top_srcdir/tests/interop/strict-kp.py" "$port" "$T/kp.crt" "$T/kp.key" \
        --ready "$T/$name.ready" "$@" 2> "$T/$name.log" &
    fake_pids="$fake_pids $!"
    i=0
    until [ -s "$T/$name.ready" ]; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "Bail out! $name"; cat "$T/$name.log"; exit 1; }
        sleep 0.05
    done
    eval "${name}_port=\$port"
    # a module config and skip-tool flags for it
    printf '[slot Strict]\nurl = https://127.0.0.1:%s\ntls = cert\nca_file = %s\nremote = %s\n' \
        "$port" "$T/kp.crt" "${REMOTE:-Bob}" > "$T/$name.conf"
}
tool_at() { # NAME ARGS...
    n=$1
    shift
    eval "port=\$${n}_port"
    "$TOOL" --url "https://127.0.0.1:$port" --tls cert --ca-file "$T/kp.crt" "$@"
}
p11_at() { # NAME COMMANDS...
    n=$1
    shift
    SKIP_PKCS11_CONF="$T/$n.conf" "$P11" "$MODULE" "$@"
}

# --- entropy only at 128, 192 or 256 bits ---
start_fake sizes --entropy-sizes 128,192,256
expect_exit 0 "entropy at 128/192/256 only: C_GenerateRandom of 20, 33, 64, 257 bytes" \
    env SKIP_PKCS11_DEBUG=http SKIP_PKCS11_CONF="$T/sizes.conf" "$P11" "$MODULE" \
    "random 20" "random 33" "random 64" "random 257"
expect_eq "... each of its length" "$(p11_field random | awk '{ printf "%d ", length($0) / 2 }')" \
    "20 33 64 257 "
expect_eq "... one refused sample size, then 256-bit samples only" \
    "$(grep -c '/entropy?minentropy=[0-9]* -> 400' "$T/err") $(grep '/entropy?minentropy=' "$T/err" | grep -vc 'minentropy=256 ')" \
    "1 1"
expect_match "... the switch logged once, with the slot" "$T/err" \
    'slot Strict: the KP refuses large entropy samples; asking 256 bits at a time'
expect_exit 6 "skip-tool asking 512 bits gets HTTP 400" tool_at sizes entropy 512
expect_match "... and the KP's words" "$T/err" 'HTTP 400 from [^ ]*: minentropy must be one of 128,192,256$'

# --- entropy capped at 2048 bits ---
start_fake capped --entropy-max 2048
expect_exit 0 "entropy capped at 2048 bits: C_GenerateRandom of 300 bytes" \
    p11_at capped "random 300" "random 100"
expect_eq "... of its length" "$(p11_field random | awk '{ printf "%d ", length($0) / 2 }')" "300 100 "

# --- upper-case hex and extra JSON members ---
start_fake loud --upper-hex --extra-members
expect_exit 0 "upper-case hex, extra members: skip-tool's key" tool_at loud --reveal-key key Bob
expect_match "... read" "$T/out" '"keyId":"[0-9a-f]{32}"'
expect_exit 0 "the module generates, signs" p11_at loud "keygen hmac" "sign - data"
loud_id=$(p11_field keyid)
loud_mac=$(p11_field mac)
expect_exit 0 "... and finds the key by its keyId (the KP answers it in upper case)" \
    p11_at loud "find $loud_id hmac" "sign $loud_id data"
expect_eq "... the same key: the same MAC" "$(p11_field mac)" "$loud_mac"

# --- 422 for a missing parameter ---
start_fake picky --missing-status 422
expect_exit 0 "a missing remoteSystemID" tool_at picky raw GET /key
expect_eq "... is 422 there" "$(raw_status)" 422
expect_exit 6 "skip-tool key without a remote the KP accepts" tool_at picky key Carol
expect_match "... shows the KP's words" "$T/err" 'unknown remoteSystemID'
expect_exit 0 "a good request is served" tool_at picky key Bob
finish
