# SPDX-License-Identifier: BSD-3-Clause
# The management listener over TLS with client certificates: a scraper
# with a certificate from management_client_ca_file reads /metrics, one
# without is refused in the handshake, and plain HTTP is refused; the
# config rules for the management_* settings are named.
. "$top_srcdir/tests/integration/lib.sh"
need curl
testbed_up --tls cert13
conf=$SKIP_TESTBED_BOB_KPD_CONF
"$TESTBED" stop "$T" bob > /dev/null
sed -i "s|^\\[kpd\\]\$|[kpd]\\nmanagement_cert_file = $T/bob/kpd.crt\\nmanagement_key_file = $T/bob/kpd.key\\nmanagement_client_ca_file = $T/ca.crt|" "$conf"
"$TESTBED" start "$T" bob > /dev/null
. "$T/env"
url=https://127.0.0.1:${SKIP_TESTBED_BOB_METRICS_URL##*:}
expect_match "the log says TLS with client certificates" "$T/bob/kpd.log" \
    'management on 127\.0\.0\.1 port [0-9]+ \(TLS, client certificates\)'
expect_exit 0 "a scraper with a client certificate reads /metrics" \
    curl -sf --cacert "$T/ca.crt" --cert "$T/bob/encryptor.crt" --key "$T/bob/encryptor.key" "$url/metrics"
expect_match "... the exposition" "$T/out" '^skip_kpd_build_info\{'
expect_exit 0 "... and /readyz" \
    curl -sf --cacert "$T/ca.crt" --cert "$T/bob/encryptor.crt" --key "$T/bob/encryptor.key" "$url/readyz"
expect_exit 0 "one without a certificate is refused" \
    sh -c "! curl -s --cacert '$T/ca.crt' '$url/metrics'"
expect_exit 0 "plain HTTP is refused" sh -c "! curl -sf 'http://127.0.0.1:${url##*:}/metrics'"
expect_exit 0 "... and the SKIP listener still serves keys" bob capabilities

sed "/^management_cert_file/d" "$conf" > "$T/half.conf"
expect_exit 1 "a key without its certificate" "$KPD" --check-config -c "$T/half.conf"
expect_match "... is named" "$T/err" 'management_cert_file and management_key_file go together'
sed "/^management_cert_file/d;/^management_key_file/d" "$conf" > "$T/ca-only.conf"
expect_exit 1 "a client CA without TLS" "$KPD" --check-config -c "$T/ca-only.conf"
expect_match "... is named" "$T/err" 'management_client_ca_file needs management_cert_file'
sed "/^management_listen/d" "$conf" > "$T/nolisten.conf"
expect_exit 1 "management settings without management_listen" "$KPD" --check-config -c "$T/nolisten.conf"
expect_match "... are named" "$T/err" 'management_\* settings need management_listen'
sed "s|^management_client_ca_file = .*|management_client_ca_file = $T/no-such-ca.crt|" "$conf" > "$T/noca.conf"
expect_exit 1 "--check-config: a client CA file that is not there" "$KPD" --check-config -c "$T/noca.conf"
expect_match "... is named" "$T/err" "management_client_ca_file $T/no-such-ca.crt: No such file or directory"
sed "s|^audit_file = .*|audit_file = $T/no-such-dir/audit.log|" "$conf" > "$T/noaudit.conf"
expect_exit 1 "--check-config: an audit_file in a directory that is not there" "$KPD" --check-config -c "$T/noaudit.conf"
expect_match "... is named" "$T/err" "audit_file's directory $T/no-such-dir: No such file or directory"
sed "s|^management_listen = .*|management_listen = 127.0.0.1|" "$conf" > "$T/noport.conf"
expect_exit 1 "management_listen without a port" "$KPD" --check-config -c "$T/noport.conf"
expect_match "... is named" "$T/err" 'management_listen must be HOST:PORT'
finish
