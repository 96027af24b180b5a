# SPDX-License-Identifier: BSD-3-Clause
# NSS 3.87 (the library libreswan does IKEv2 in) against both sites:
# modutil registers the module (through skip-pkcs11-server, so keys outlive
# each tool's run); symkeyutil generates a named key (NSS sets its label
# right after making it) and lists it by that name; and nss-host, an NSS
# program, generates at Alice, finds at Bob by keyId, MACs with both
# copies and derives with NSS's prf+ and a seed key (how libreswan passes
# SK_d') at both sites, equal to prf+ computed by the openssl command on
# the key recomputed from the testbed's secret.
. "$top_srcdir/tests/interop/interop-lib.sh"
need modutil
need symkeyutil
need certutil

testbed_up
start_server alice
db=sql:$T/nssdb
mkdir "$T/nssdb"
# The NSS tools load p11-kit-client.so, not the module (which runs in the
# server), so they run as they are, without the sanitizer runtime (under
# it, NSS and p11-kit-client trip over each other at load).
run_ok "certutil makes an NSS database" certutil -N -d "$db" --empty-password
run_ok "modutil registers the module (p11-kit-client.so to Alice's server)" \
    modutil -dbdir "$db" -add skip -libfile "$P11KIT_CLIENT" -force
at_nss() { via_alice "$@"; }
run_ok "modutil -list" at_nss modutil -dbdir "$db" -list skip
expect_match "... shows Alice's token" "$T/out" 'Token Name: Alice'

run_ok "symkeyutil -K -n makes a named key" \
    at_nss symkeyutil -d "$db" -K -n ike-ppk -t generic -s 32 -h Alice
run_ok "symkeyutil -L" at_nss symkeyutil -d "$db" -L -h Alice
expect_match "... lists it by its name" "$T/out" 'ike-ppk'
expect_no_match "... and no label was refused" "$T/server-alice.log" 'CKA_LABEL.*refused'

# nss-host loads the module in-process with both sites as two slots.
cat "$SKIP_TESTBED_ALICE_MODULE_CONF" "$SKIP_TESTBED_BOB_MODULE_CONF" |
    sed '/^\[slot /a derived_keys = readable' > "$T/both.conf"
# (NSS's own allocations at exit are not the module's to report.)
run_ok "nss-host: generate at Alice, find at Bob, HMAC and prf+ at both" \
    env ASAN_OPTIONS=detect_leaks=0 SKIP_PKCS11_CONF="$T/both.conf" \
    "$(built nss-host)" "$MODULE"
expect_match "... Bob finds both keys by keyId" "$T/out" '^found 2$'
expect_match "... the MACs are equal" "$T/out" '^macs equal$'
alice_prf=$(p11_field "prfplus alice")
bob_prf=$(p11_field "prfplus bob")
expect_eq "... prf+ with a seed key gives one key at both sites" "$alice_prf" "$bob_prf"
ppk_id=$(p11_field ppk_keyid)
ppk=$(prf_key "$ppk_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
# seed = the seed key's value, then the seed data (nss-host.c)
seed=$(hexof "seed key SK_d' for prf+ tests..")00$(hexof "Ni and Nr bytes")00
expect_eq "... and equal to prf+ by openssl on the recomputed PPK" "$alice_prf" \
    "$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$ppk" -kdfopt "hexinfo:$seed")"
expect_key_nowhere "... and the PPK is in no output" "$ppk_id" 32 "$T/out" "$T/err"
finish
