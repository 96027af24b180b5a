# SPDX-License-Identifier: BSD-3-Clause
"""PyKCS11 over skip-pkcs11.so (interop-notes.md section 6).

    skip_peer.py MODULE gen           site A: generate, derive, HMAC, random
    skip_peer.py MODULE find KEYID    site B: fetch by keyId, derive

PyKCS11 1.5.12 has no classes for the KDF parameters, so they are packed by
hand for LP64 (8-byte CK_ULONG and pointers, CK_BBOOL padded to 8). Prints
"name HEX" lines, or "error: ..." and exits 1.
"""
import ctypes
import struct
import sys

import PyKCS11
from PyKCS11 import LowLevel as LL

CKM_HKDF_DERIVE = 0x402A
CKM_IKE2_PRF_PLUS_DERIVE = 0x402E
CKM_SP800_108_COUNTER_KDF = 0x3AC
CKF_HKDF_SALT_NULL = 1
CK_SP800_108_ITERATION_VARIABLE = 1
CK_SP800_108_DKM_LENGTH = 3
CK_SP800_108_BYTE_ARRAY = 4
CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS = 1

INFO = b"skip pykcs11 info"
LABEL = b"skip label"
CONTEXT = b"skip context"

keep = []  # buffers whose addresses sit inside packed parameters


def buf(data):
    b = ctypes.create_string_buffer(data, len(data))
    keep.append(b)
    return ctypes.addressof(b)


def hkdf_expand_params(info):
    # CK_HKDF_PARAMS: bExtract, bExpand, prfHashMechanism, ulSaltType,
    # pSalt, ulSaltLen, hSaltKey, pInfo, ulInfoLen
    return struct.pack("<BB6xQQQQQQQ", 0, 1, LL.CKM_SHA256,
                       CKF_HKDF_SALT_NULL, 0, 0, 0, buf(info), len(info))


def prf_plus_params(seed):
    # CK_IKE2_PRF_PLUS_DERIVE_PARAMS: prfMechanism, bHasSeedKey, hSeedKey,
    # pSeedData, ulSeedDataLen
    return struct.pack("<QB7xQQQ", LL.CKM_SHA256_HMAC, 0, 0, buf(seed),
                       len(seed))


def kbkdf_params():
    # counter (32-bit BE) || label || 00 || context || L (32-bit BE): the
    # layout of OpenSSL's KBKDF, so the test can recompute it.
    counter = buf(struct.pack("<B7xQ", 0, 32))
    dkm = buf(struct.pack("<QB7xQ", CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 0,
                          32))
    data = [(CK_SP800_108_ITERATION_VARIABLE, counter, 16),
            (CK_SP800_108_BYTE_ARRAY, buf(LABEL), len(LABEL)),
            (CK_SP800_108_BYTE_ARRAY, buf(b"\0"), 1),
            (CK_SP800_108_BYTE_ARRAY, buf(CONTEXT), len(CONTEXT)),
            (CK_SP800_108_DKM_LENGTH, dkm, 24)]
    packed = b"".join(struct.pack("<QQQ", *d) for d in data)
    # CK_SP800_108_KDF_PARAMS: prfType, ulNumberOfDataParams, pDataParams,
    # ulAdditionalDerivedKeys, pAdditionalDerivedKeys
    return struct.pack("<QQQQQ", LL.CKM_SHA256_HMAC, len(data), buf(packed),
                       0, 0)


def derive_all(session, base):
    out_template = [(LL.CKA_CLASS, LL.CKO_SECRET_KEY),
                    (LL.CKA_KEY_TYPE, LL.CKK_GENERIC_SECRET),
                    (LL.CKA_VALUE_LEN, 32), (LL.CKA_TOKEN, False),
                    (LL.CKA_SENSITIVE, False), (LL.CKA_EXTRACTABLE, True)]
    for name, mech, param in (
            ("hkdf", CKM_HKDF_DERIVE, hkdf_expand_params(INFO)),
            ("prfplus", CKM_IKE2_PRF_PLUS_DERIVE, prf_plus_params(INFO)),
            ("kbkdf", CKM_SP800_108_COUNTER_KDF, kbkdf_params())):
        key = session.deriveKey(base, out_template,
                                PyKCS11.Mechanism(mech, param))
        value = session.getAttributeValue(key, [LL.CKA_VALUE])[0]
        print(name, bytes(value).hex())
        session.destroyObject(key)


def name_mechanisms():
    # WORKAROUND(PyKCS11 1.5.12): getMechanismList raises KeyError on a
    # mechanism missing from its table, as IKE2 prf+ is; name it first.
    for number, name in ((CKM_IKE2_PRF_PLUS_DERIVE, "CKM_IKE2_PRF_PLUS_DERIVE"),
                         (CKM_HKDF_DERIVE, "CKM_HKDF_DERIVE"),
                         (CKM_SP800_108_COUNTER_KDF, "CKM_SP800_108_COUNTER_KDF")):
        if number not in PyKCS11.CKM:
            PyKCS11.CKM[number] = name
            PyKCS11.CKM[name] = number


def open_session(lib):
    print("library", lib.getInfo().manufacturerID.strip())
    slot = lib.getSlotList(tokenPresent=True)[0]
    token = lib.getTokenInfo(slot)
    print("token", token.label.strip(), " ".join(token.flags2text()))
    mechs = lib.getMechanismList(slot)
    print("mechanisms", " ".join(m for m in mechs if isinstance(m, str)))
    return lib.openSession(slot, LL.CKF_SERIAL_SESSION | LL.CKF_RW_SESSION)


def generate(session):
    template = [(LL.CKA_CLASS, LL.CKO_SECRET_KEY),
                (LL.CKA_KEY_TYPE, LL.CKK_GENERIC_SECRET),
                (LL.CKA_VALUE_LEN, 32), (LL.CKA_TOKEN, True),
                (LL.CKA_SENSITIVE, True), (LL.CKA_EXTRACTABLE, False),
                (LL.CKA_DERIVE, True), (LL.CKA_LABEL, "pykcs11 kdf key")]
    key = session.generateKey(template,
                              PyKCS11.Mechanism(LL.CKM_GENERIC_SECRET_KEY_GEN))
    key_id, label, length = session.getAttributeValue(
        key, [LL.CKA_ID, LL.CKA_LABEL, LL.CKA_VALUE_LEN])
    print("keyid", bytes(key_id).hex())
    print("label", label)
    print("length", length)
    found = session.findObjects([(LL.CKA_CLASS, LL.CKO_SECRET_KEY),
                                 (LL.CKA_ID, bytes(key_id))])
    print("found", len(found))
    derive_all(session, key)

    hmac_template = template[:6] + [(LL.CKA_SIGN, True),
                                    (LL.CKA_VERIFY, True)]
    hkey = session.generateKey(hmac_template,
                               PyKCS11.Mechanism(LL.CKM_GENERIC_SECRET_KEY_GEN))
    mech = PyKCS11.Mechanism(LL.CKM_SHA256_HMAC)
    mac = bytes(session.sign(hkey, b"pykcs11 data", mech))
    print("mac", mac.hex())
    print("verify", session.verify(hkey, b"pykcs11 data", mac, mech))
    print("verify-other", session.verify(hkey, b"other data", mac, mech))
    print("random", bytes(session.generateRandom(32)).hex())


def find(session, key_id):
    found = session.findObjects([(LL.CKA_CLASS, LL.CKO_SECRET_KEY),
                                 (LL.CKA_ID, bytes.fromhex(key_id)),
                                 (LL.CKA_DERIVE, True)])
    print("found", len(found))
    if found:
        derive_all(session, found[0])


def main():
    name_mechanisms()
    lib = PyKCS11.PyKCS11Lib()
    lib.load(sys.argv[1])
    session = open_session(lib)
    try:
        if sys.argv[2] == "gen":
            generate(session)
        else:
            find(session, sys.argv[3])
    finally:
        session.closeSession()


if __name__ == "__main__":
    try:
        main()
    except PyKCS11.PyKCS11Error as e:
        print("error:", e)
        sys.exit(1)
