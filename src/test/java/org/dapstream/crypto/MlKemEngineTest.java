package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.abort;

import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.HandshakeMessage;
import org.junit.jupiter.api.Test;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

class MlKemEngineTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The JDK engine, or the test is skipped: JDK 17 (the CI's) has no ML-KEM-768, that needs JDK 24+. */
    private static MlKemEngine jdkEngineOrSkip() {
        try {
            return JdkMlKemEngine.probe();
        } catch (GeneralSecurityException e) {
            abort("skipped on this JDK (" + Runtime.version() + "): no usable JDK ML-KEM-768 (JDK 24+ only): " + e.getMessage());
            throw new AssertionError("unreachable");
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] flipped(byte[] b, int i) {
        byte[] c = b.clone();
        c[i] ^= 1;
        return c;
    }

    /** ek with its first coefficient set to 0xfff (>= q = 3329): fails FIPS 203 §7.2's modulus check. */
    private static byte[] outOfRange(byte[] ek) {
        byte[] bad = ek.clone();
        bad[0] = (byte) 0xff;
        bad[1] |= 0x0f;
        return bad;
    }

    @Test
    void jvmUsesTheJdkEngineExactlyWhenTheJdkHasMlKem() {
        boolean jdkHasMlKem = Security.getProviders("KEM.ML-KEM") != null;
        MlKemEngine current = MlKemEngine.current();
        if (jdkHasMlKem && System.getProperty(MlKemEngine.ENGINE_PROPERTY) == null) {
            assertInstanceOf(JdkMlKemEngine.class, current, current.toString());
        } else if (!jdkHasMlKem) {
            assertSame(MlKemEngine.bouncyCastle(), current);
        }
        assertSame(current, MlKemEngine.current(), "decided once per JVM");
    }

    @Test
    void engineOverrideForcesBouncyCastleAndUnknownValuesFallBackToAuto() {
        assertSame(MlKemEngine.bouncyCastle(), MlKemEngine.choose("bc"));
        assertSame(MlKemEngine.bouncyCastle(), MlKemEngine.choose(" BC "));
        assertEquals(MlKemEngine.choose("auto").getClass(), MlKemEngine.choose("no-such-engine").getClass());
    }

    /** Bouncy Castle alone (every JDK): deterministic from the given bytes, round trip, implicit rejection, close. */
    @Test
    void bouncyCastleEngineIsDeterministicAndRoundTrips() throws Exception {
        MlKemEngine bc = MlKemEngine.bouncyCastle();
        byte[] seed = random(64);
        byte[] m = random(32);
        try (MlKemEngine.DecapsulationKey a = bc.generate(seed); MlKemEngine.DecapsulationKey b = bc.generate(seed)) {
            byte[] ek = a.encapsulationKey();
            assertEquals(HandshakeMessage.MLKEM768_EK_SIZE, ek.length);
            assertArrayEquals(ek, b.encapsulationKey(), "same d || z, same key");
            MlKemEngine.Encapsulation e = bc.encapsulate(ek, m);
            assertEquals(HandshakeMessage.MLKEM768_CT_SIZE, e.ciphertext().length);
            assertEquals(32, e.sharedSecret().length);
            assertArrayEquals(e.ciphertext(), bc.encapsulate(ek, m).ciphertext(), "same m, same ciphertext");
            assertArrayEquals(e.sharedSecret(), a.decapsulate(e.ciphertext()));
            byte[] rejected = a.decapsulate(flipped(e.ciphertext(), 5));
            assertFalse(Arrays.equals(e.sharedSecret(), rejected), "implicit rejection gives another secret");
            assertArrayEquals(rejected, b.decapsulate(flipped(e.ciphertext(), 5)), "implicit rejection is deterministic (z)");
            a.close();
            assertThrows(IllegalStateException.class, () -> a.decapsulate(e.ciphertext()));
        }
        byte[] otherZ = seed.clone();
        otherZ[40] ^= 1;
        try (MlKemEngine.DecapsulationKey a = bc.generate(seed); MlKemEngine.DecapsulationKey z = bc.generate(otherZ)) {
            assertArrayEquals(a.encapsulationKey(), z.encapsulationKey(), "ek depends on d only");
        }
    }

    /**
     * JDK 24+ only (skipped on JDK 17): on random inputs the engines give the same key, ciphertext
     * and secret from the same bytes, decapsulate each other's ciphertexts, and reject alike.
     */
    @Test
    void jdkAndBouncyCastleEnginesAgreeByteForByteOnJdk24Plus() throws Exception {
        MlKemEngine jdk = jdkEngineOrSkip();
        MlKemEngine bc = MlKemEngine.bouncyCastle();
        for (int round = 0; round < 5; round++) {
            byte[] seed = random(64);
            byte[] m = random(32);
            try (MlKemEngine.DecapsulationKey byJdk = jdk.generate(seed); MlKemEngine.DecapsulationKey byBc = bc.generate(seed)) {
                byte[] ek = byBc.encapsulationKey();
                assertArrayEquals(ek, byJdk.encapsulationKey(), "same ek from the same d || z");
                MlKemEngine.Encapsulation jdkEnc = jdk.encapsulate(ek, m);
                MlKemEngine.Encapsulation bcEnc = bc.encapsulate(ek, m);
                assertArrayEquals(bcEnc.ciphertext(), jdkEnc.ciphertext(), "same ciphertext from the same m");
                assertArrayEquals(bcEnc.sharedSecret(), jdkEnc.sharedSecret(), "same secret from the same m");
                // Each side's ciphertext to a fresh m, decapsulated by the other engine.
                MlKemEngine.Encapsulation fromJdk = jdk.encapsulate(ek, random(32));
                MlKemEngine.Encapsulation fromBc = bc.encapsulate(ek, random(32));
                assertArrayEquals(fromJdk.sharedSecret(), byBc.decapsulate(fromJdk.ciphertext()), "BC decapsulates the JDK's");
                assertArrayEquals(fromBc.sharedSecret(), byJdk.decapsulate(fromBc.ciphertext()), "the JDK decapsulates BC's");
                for (int i : new int[] {0, 544, HandshakeMessage.MLKEM768_CT_SIZE - 1}) {
                    byte[] tampered = flipped(fromBc.ciphertext(), i);
                    byte[] rejected = byJdk.decapsulate(tampered);
                    assertArrayEquals(byBc.decapsulate(tampered), rejected, "same implicit rejection (uses z), byte " + i);
                    assertFalse(Arrays.equals(fromBc.sharedSecret(), rejected));
                }
            }
        }
    }

    /** A key out of range is refused by both engines with the same handshake error (JDK engine on JDK 24+ only). */
    @Test
    void badEncapsulationKeyIsRefusedAlikeByBothEngines() throws Exception {
        List<MlKemEngine> engines = new ArrayList<>(List.of(MlKemEngine.bouncyCastle()));
        if (MlKemEngine.current() != MlKemEngine.bouncyCastle()) {
            engines.add(MlKemEngine.current());
        }
        byte[] ek;
        try (MlKemEngine.DecapsulationKey k = MlKemEngine.bouncyCastle().generate(random(64))) {
            ek = k.encapsulationKey();
        }
        for (MlKemEngine engine : engines) {
            for (byte[] bad : new byte[][] {outOfRange(ek), Arrays.copyOf(ek, ek.length - 1)}) {
                HandshakeException e = assertThrows(HandshakeException.class, () -> engine.encapsulate(bad, random(32)), engine.name());
                assertEquals(ErrorCode.MALFORMED_HANDSHAKE, e.code());
                assertEquals(MlKemEngine.BAD_ENCAPSULATION_KEY, e.getMessage());
            }
        }
        // Through the handshake's own entry point, on whichever engine this JVM chose.
        byte[] share = new byte[HandshakeMessage.CLIENT_SHARE_SIZE];
        RANDOM.nextBytes(share);
        System.arraycopy(outOfRange(ek), 0, share, HandshakeMessage.X25519_SIZE, ek.length);
        HandshakeException e = assertThrows(HandshakeException.class,
                () -> HybridKem.serverRespond(share, random(HybridKem.SERVER_RANDOM_BYTES)));
        assertEquals(MlKemEngine.BAD_ENCAPSULATION_KEY, e.getMessage());
    }

    @Test
    void exactBytesRandomHandsOutTheGivenBytesAndRefusesAnythingElse() {
        byte[] d = random(32);
        byte[] z = random(16);
        ExactBytesRandom r = new ExactBytesRandom(d, z);
        byte[] got = new byte[32];
        r.nextBytes(got);
        assertArrayEquals(d, got);
        assertThrows(IllegalStateException.class, r::checkUsedUp, "one string left");
        assertThrows(IllegalStateException.class, () -> r.nextBytes(new byte[32]), "wrong length for the second draw");
        byte[] got2 = new byte[16];
        r.nextBytes(got2);
        assertArrayEquals(z, got2);
        r.checkUsedUp();
        assertThrows(IllegalStateException.class, () -> r.nextBytes(new byte[16]), "one draw too many");
        assertThrows(IllegalStateException.class, () -> r.nextBytes(new byte[0]), "even an empty one");

        ExactBytesRandom other = new ExactBytesRandom(random(8));
        assertThrows(IllegalStateException.class, other::nextLong, "Random.nextLong draws 4 bytes at a time, not the 8 given");
        assertThrows(IllegalStateException.class, () -> other.generateSeed(8));
        assertThrows(IllegalStateException.class, () -> other.setSeed(new byte[8]));
        assertThrows(IllegalStateException.class, () -> other.setSeed(42L));
        assertThrows(IllegalStateException.class, other::reseed);
        assertThrows(IllegalStateException.class, other::checkUsedUp, "none of it was handed out");
    }

    @Test
    void exactBytesRandomWipesWhatWasNotDrawn() {
        byte[] given = random(32);
        ExactBytesRandom r = new ExactBytesRandom(given);
        r.wipe();
        assertThrows(IllegalStateException.class, () -> r.nextBytes(new byte[32]), "nothing left after a wipe");
    }

    @Test
    void spkiPrefixIsBouncyCastlesEncodingOfAnMlKem768PublicKey() throws Exception {
        byte[] ek;
        try (MlKemEngine.DecapsulationKey k = MlKemEngine.bouncyCastle().generate(random(64))) {
            ek = k.encapsulationKey();
        }
        byte[] bcSpki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(NISTObjectIdentifiers.id_alg_ml_kem_768), ek).getEncoded();
        assertEquals("2.16.840.1.101.3.4.4.2", NISTObjectIdentifiers.id_alg_ml_kem_768.getId());
        assertArrayEquals(Arrays.copyOf(bcSpki, JdkMlKemEngine.SPKI_PREFIX.length), JdkMlKemEngine.SPKI_PREFIX);
        assertEquals(JdkMlKemEngine.SPKI_PREFIX.length + ek.length, bcSpki.length);
    }

    /** JDK 24+ only (skipped on JDK 17): a closed JDK decapsulation key refuses to decapsulate, and closes twice quietly. */
    @Test
    void closingAJdkDecapsulationKeyStopsDecapsulationOnJdk24Plus() throws Exception {
        MlKemEngine jdk = jdkEngineOrSkip();
        MlKemEngine.DecapsulationKey k = jdk.generate(random(64));
        MlKemEngine.Encapsulation e = jdk.encapsulate(k.encapsulationKey(), random(32));
        assertArrayEquals(e.sharedSecret(), k.decapsulate(e.ciphertext()));
        k.close();
        assertThrows(IllegalStateException.class, () -> k.decapsulate(e.ciphertext()));
        k.close();
    }
}
