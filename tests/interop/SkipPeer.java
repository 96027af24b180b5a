// SPDX-License-Identifier: BSD-3-Clause
// Java's SunPKCS11 provider over skip-pkcs11.so, as a Java application uses
// it (interop-notes.md section 5). Run as a single-file program:
//   java SkipPeer.java CONFIG gen DATA          KeyGenerator + Mac at site A
//   java SkipPeer.java CONFIG find KEYID DATA LIBRARY
//                                               fetch by keyId + Mac at site B
// and prints "keyid", "alias", "mac", "random" lines, or "error: ..." and
// exits 1. The generate template comes from the config's attributes() line.
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.PKCS11;
import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

public class SkipPeer {
    static final HexFormat HEX = HexFormat.of();

    static List<String> aliases(KeyStore ks) throws Exception {
        List<String> all = Collections.list(ks.aliases());
        Collections.sort(all);
        for (String a : all)
            System.out.println("alias " + a + (ks.isKeyEntry(a) ? " key" : ""));
        return all;
    }

    static void mac(Key key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256", provider);
        mac.init(key);
        byte[] out = mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        System.out.println("mac " + HEX.formatHex(out));
    }

    static Provider provider;

    // Site A: a token key from KeyGenerator (the config makes it a token,
    // sensitive, signing key); the KeyStore then lists it by its label,
    // which is the keyId.
    static void generate(String data) throws Exception {
        KeyGenerator gen = KeyGenerator.getInstance("HmacSHA256", provider);
        gen.init(256);
        SecretKey key = gen.generateKey();
        System.out.println("format " + key.getFormat() + " encoded "
                           + (key.getEncoded() == null ? "none" : "present"));
        mac(key, data);
        KeyStore ks = KeyStore.getInstance("PKCS11", provider);
        ks.load(null, null);
        List<String> all = aliases(ks);
        if (all.size() != 1)
            throw new Exception(all.size() + " aliases after one keygen");
        System.out.println("keyid " + all.get(0));
        mac(ks.getKey(all.get(0), null), data);
        byte[] r = new byte[32];
        SecureRandom.getInstance("PKCS11", provider).nextBytes(r);
        System.out.println("random " + HEX.formatHex(r));
    }

    // Site B: Java's public API searches by label only after listing, so
    // the keyId is first searched by CKA_ID through the JDK's own PKCS#11
    // wrapper (the same loaded module); the module then holds the key
    // and the KeyStore lists it like any token key.
    static void find(String library, String keyId, String data)
            throws Exception {
        PKCS11 p11 = PKCS11.getInstance(library, "C_GetFunctionList", null,
                                        false);
        long slot = p11.C_GetSlotList(true)[0];
        long session = p11.C_OpenSession(slot, CKF_SERIAL_SESSION, null, null);
        CK_ATTRIBUTE[] tmpl = {
            new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY),
            new CK_ATTRIBUTE(CKA_ID, HEX.parseHex(keyId)),
        };
        p11.C_FindObjectsInit(session, tmpl);
        long[] found = p11.C_FindObjects(session, 2);
        p11.C_FindObjectsFinal(session);
        System.out.println("found " + found.length);
        KeyStore ks = KeyStore.getInstance("PKCS11", provider);
        ks.load(null, null);
        aliases(ks);
        Key key = ks.getKey(keyId, null);
        if (key == null)
            throw new Exception("no KeyStore entry " + keyId);
        System.out.println("key " + key.getAlgorithm() + " "
                           + (key.getEncoded() == null ? "not encodable"
                                                       : "encodable"));
        mac(key, data);
        p11.C_CloseSession(session);
    }

    public static void main(String[] args) {
        try {
            provider = Security.getProvider("SunPKCS11").configure(args[0]);
            Security.addProvider(provider);
            if (args[1].equals("gen"))
                generate(args[2]);
            else
                find(args[4], args[2], args[3]);
        } catch (Exception e) {
            System.out.println("error: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
