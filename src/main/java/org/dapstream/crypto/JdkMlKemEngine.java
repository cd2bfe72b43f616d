package org.dapstream.crypto;

import javax.crypto.SecretKey;
import javax.security.auth.DestroyFailedException;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * ML-KEM-768 with the running JDK's own implementation (JCA {@code KEM "ML-KEM"},
 * {@code KeyPairGenerator} / {@code KeyFactory "ML-KEM"}, JDK 24+, intrinsified). The project
 * compiles with {@code --release 17}, whose API has no {@code javax.crypto.KEM} (JDK 21 API; later
 * 17 updates such as 17.0.15 carry it too, without any ML-KEM provider): that class and its
 * nested Encapsulator/Decapsulator/Encapsulated are reached through method handles looked up
 * once in {@link #probe()}; everything else is plain JCA by name.
 *
 * <p>Randomness: the JDK draws d then z (32 bytes each) for key generation and m (32) for
 * encapsulation from the SecureRandom it is given, FIPS 203's order; an {@link ExactBytesRandom}
 * hands it exactly our bytes, and the probe's cross-check against Bouncy Castle proves the
 * order (same ek from the same d || z, same implicit-rejection secret, which depends on z).
 */
final class JdkMlKemEngine extends MlKemEngine {
    static final String ALGORITHM = "ML-KEM";
    static final String PARAMETER_SET = "ML-KEM-768";
    static final int ENCAPSULATION_KEY_SIZE = 1184;
    /**
     * DER of SubjectPublicKeyInfo for ML-KEM-768 up to the key bits: SEQUENCE (1202 bytes),
     * AlgorithmIdentifier id-alg-ml-kem-768 (2.16.840.1.101.3.4.4.2, no parameters), BIT STRING
     * (1185 bytes, no unused bits). The raw 1184-byte key follows (RFC 9935 / FIPS 203).
     */
    static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("308204b2300b0609608648016503040402038204a100");

    /** Pinned when the engine is chosen: the provider of KEM "ML-KEM", also asked for the keys, so they always match. */
    private final Provider provider;
    private final Kem kem;

    private JdkMlKemEngine(Provider provider, Kem kem) {
        this.provider = provider;
        this.kem = kem;
    }

    /**
     * The JDK engine when this JDK has ML-KEM-768 and it computes exactly what Bouncy Castle
     * computes on fixed inputs.
     *
     * @throws GeneralSecurityException saying why not (no javax.crypto.KEM or no ML-KEM in this JDK, a failed cross-check)
     */
    static JdkMlKemEngine probe() throws GeneralSecurityException {
        Kem kem = Kem.lookUp();
        // KEM chooses its provider only at newEncapsulator/newDecapsulator; pin the most preferred
        // one that has ML-KEM (what KEM.getInstance would pick) and name it in every getInstance.
        Provider[] offering = Security.getProviders("KEM." + ALGORITHM);
        if (offering == null) {
            throw new NoSuchAlgorithmException("no provider of KEM " + ALGORITHM + " in this JDK (JDK 24+)");
        }
        Provider provider = offering[0];
        kem.getInstance(ALGORITHM, provider);
        KeyPairGenerator.getInstance(ALGORITHM, provider);
        KeyFactory.getInstance(ALGORITHM, provider);
        JdkMlKemEngine jdk = new JdkMlKemEngine(provider, kem);
        crossCheck(jdk, BcMlKemEngine.INSTANCE);
        return jdk;
    }

    /**
     * Fixed seed and message: the same ek, ciphertext and secret from both engines, each
     * decapsulates the other's ciphertext, both give the same implicit-rejection secret for a
     * tampered ciphertext, and the JDK refuses a key BC's modulus check refuses.
     */
    private static void crossCheck(MlKemEngine jdk, MlKemEngine bc) throws GeneralSecurityException {
        byte[] seed = new byte[SEED_SIZE];
        byte[] m = new byte[MESSAGE_SIZE];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = (byte) i;
        }
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) (0x80 + i);
        }
        try (DecapsulationKey byJdk = jdk.generate(seed); DecapsulationKey byBc = bc.generate(seed)) {
            byte[] ek = byBc.encapsulationKey();
            if (!Arrays.equals(ek, byJdk.encapsulationKey())) {
                throw new GeneralSecurityException("the JDK's ML-KEM-768 key from d || z differs from Bouncy Castle's");
            }
            Encapsulation jdkEnc = encapsulateValid(jdk, ek, m);
            Encapsulation bcEnc = encapsulateValid(bc, ek, m);
            if (!Arrays.equals(jdkEnc.ciphertext(), bcEnc.ciphertext()) || !Arrays.equals(jdkEnc.sharedSecret(), bcEnc.sharedSecret())) {
                throw new GeneralSecurityException("the JDK's ML-KEM-768 encapsulation with m differs from Bouncy Castle's");
            }
            if (!Arrays.equals(byJdk.decapsulate(bcEnc.ciphertext()), bcEnc.sharedSecret())
                    || !Arrays.equals(byBc.decapsulate(jdkEnc.ciphertext()), jdkEnc.sharedSecret())) {
                throw new GeneralSecurityException("the JDK's and Bouncy Castle's ML-KEM-768 decapsulations differ");
            }
            byte[] tampered = bcEnc.ciphertext().clone();
            tampered[0] ^= 1;
            byte[] rejected = byJdk.decapsulate(tampered);
            if (!Arrays.equals(rejected, byBc.decapsulate(tampered)) || Arrays.equals(rejected, bcEnc.sharedSecret())) {
                throw new GeneralSecurityException("the JDK's ML-KEM-768 implicit rejection differs from Bouncy Castle's");
            }
            byte[] bad = ek.clone();
            bad[0] = (byte) 0xff; // first coefficient 0xfff >= q = 3329: FIPS 203 §7.2's modulus check fails
            bad[1] |= 0x0f;
            try {
                jdk.encapsulate(bad, m);
                throw new GeneralSecurityException("the JDK accepts an ML-KEM-768 key that fails the modulus check");
            } catch (HandshakeException expected) {
                // as Bouncy Castle
            }
        }
    }

    private static Encapsulation encapsulateValid(MlKemEngine engine, byte[] ek, byte[] m) throws GeneralSecurityException {
        try {
            return engine.encapsulate(ek, m);
        } catch (HandshakeException e) {
            throw new GeneralSecurityException(engine.name() + " refuses a valid ML-KEM-768 key: " + e.getMessage(), e);
        }
    }

    @Override
    String name() {
        return "JDK (" + provider.getName() + " " + provider.getVersionStr() + ")";
    }

    @Override
    DecapsulationKey generate(byte[] seed) {
        if (seed.length != SEED_SIZE) {
            throw new IllegalArgumentException("ML-KEM seed d || z is " + SEED_SIZE + " bytes, not " + seed.length);
        }
        ExactBytesRandom random = new ExactBytesRandom(Arrays.copyOfRange(seed, 0, 32), Arrays.copyOfRange(seed, 32, 64));
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM, provider);
            generator.initialize(new NamedParameterSpec(PARAMETER_SET), random);
            KeyPair pair = generator.generateKeyPair();
            random.checkUsedUp();
            return new JdkDecapsulationKey(pair.getPrivate(), raw(pair.getPublic()), kem, provider);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ML-KEM-768 key generation failed", e);
        } finally {
            random.wipe();
        }
    }

    /** The raw key bits of the JDK's X.509 encoding, after checking it is exactly our prefix and length. */
    private static byte[] raw(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (spki == null || spki.length != SPKI_PREFIX.length + ENCAPSULATION_KEY_SIZE
                || !Arrays.equals(spki, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
            throw new IllegalStateException("the JDK encodes ML-KEM-768 public keys unlike id-alg-ml-kem-768 SPKI");
        }
        return Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length);
    }

    @Override
    Encapsulation encapsulate(byte[] encapsulationKey, byte[] m) throws HandshakeException {
        if (m.length != MESSAGE_SIZE) {
            throw new IllegalArgumentException("ML-KEM message m is " + MESSAGE_SIZE + " bytes, not " + m.length);
        }
        byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + encapsulationKey.length);
        System.arraycopy(encapsulationKey, 0, spki, SPKI_PREFIX.length, encapsulationKey.length);
        ExactBytesRandom random = new ExactBytesRandom(m);
        try {
            Object encapsulator;
            try {
                PublicKey key = KeyFactory.getInstance(ALGORITHM, provider).generatePublic(new X509EncodedKeySpec(spki));
                // The JDK's KeyFactory only parses; newEncapsulator runs FIPS 203's modulus check.
                encapsulator = kem.newEncapsulator(kem.getInstance(ALGORITHM, provider), key, random);
            } catch (InvalidKeySpecException | InvalidKeyException e) {
                throw HandshakeException.malformed(BAD_ENCAPSULATION_KEY);
            }
            Object encapsulated = kem.encapsulate(encapsulator);
            random.checkUsedUp();
            SecretKey secret = kem.key(encapsulated);
            byte[] out = secret.getEncoded();
            destroy(secret);
            return new Encapsulation(kem.encapsulation(encapsulated), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ML-KEM-768 encapsulation failed", e);
        } finally {
            random.wipe();
        }
    }

    /**
     * Set once the KEM's secret keys have refused {@code destroy()}: not tried again. The
     * engine uses one provider, whose secret keys are all of one class; JDK 25's
     * SecretKeySpec always throws, and filling in that exception's stack trace, once per
     * encapsulation and once per decapsulation, was about 0.5 % of the event loops' busy
     * time in a handshake run.
     */
    private static volatile boolean secretKeysRefuseDestroy;

    /** Tried for providers whose secret keys can be destroyed; skipped once they are known to refuse. */
    private static void destroy(SecretKey key) {
        if (secretKeysRefuseDestroy) {
            return; // dropping the reference is all we can do; our copy is wiped by the caller
        }
        try {
            key.destroy();
        } catch (DestroyFailedException e) {
            secretKeysRefuseDestroy = true;
        }
    }

    /** The JDK's ML-KEM private key zeroes its arrays on destroy. */
    private static void destroy(PrivateKey key) {
        try {
            key.destroy();
        } catch (DestroyFailedException e) {
            // a provider whose keys cannot be destroyed: dropping the reference is all we can do
        }
    }

    /** The generator's PrivateKey, kept as the JDK object (no encoding); close destroys it (the JDK's key zeroes itself). */
    private static final class JdkDecapsulationKey implements DecapsulationKey {
        private final byte[] encapsulationKey;
        private final Kem kem;
        private final Provider provider;
        private PrivateKey key;

        JdkDecapsulationKey(PrivateKey key, byte[] encapsulationKey, Kem kem, Provider provider) {
            this.key = key;
            this.encapsulationKey = encapsulationKey;
            this.kem = kem;
            this.provider = provider;
        }

        @Override
        public byte[] encapsulationKey() {
            return encapsulationKey.clone();
        }

        @Override
        public byte[] decapsulate(byte[] ciphertext) {
            if (key == null) {
                throw new IllegalStateException("ML-KEM-768 decapsulation key is closed");
            }
            try {
                SecretKey secret = kem.decapsulate(kem.newDecapsulator(kem.getInstance(ALGORITHM, provider), key), ciphertext);
                byte[] out = secret.getEncoded();
                destroy(secret);
                return out;
            } catch (GeneralSecurityException e) {
                // Only a ciphertext of the wrong length fails (a bad one of the right length is implicitly rejected).
                throw new IllegalArgumentException("ML-KEM-768 decapsulation failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            PrivateKey current = key;
            key = null;
            if (current != null && !current.isDestroyed()) {
                destroy(current);
            }
        }
    }

    /**
     * {@code javax.crypto.KEM} (JDK 21+) by method handles, as Object-typed calls, so this compiles
     * for release 17. Looked up once; the handles are immutable and thread-safe, a KEM object is
     * got per operation (cheap: 0.2 µs) so no JCA object is shared between threads.
     */
    private static final class Kem {
        private final MethodHandle getInstance;
        private final MethodHandle newEncapsulator;
        private final MethodHandle encapsulate;
        private final MethodHandle encapsulation;
        private final MethodHandle key;
        private final MethodHandle newDecapsulator;
        private final MethodHandle decapsulate;

        private Kem(MethodHandle... h) {
            getInstance = h[0];
            newEncapsulator = h[1];
            encapsulate = h[2];
            encapsulation = h[3];
            key = h[4];
            newDecapsulator = h[5];
            decapsulate = h[6];
        }

        static Kem lookUp() throws NoSuchAlgorithmException {
            try {
                MethodHandles.Lookup l = MethodHandles.publicLookup();
                Class<?> kem = Class.forName("javax.crypto.KEM");
                Class<?> encapsulator = Class.forName("javax.crypto.KEM$Encapsulator");
                Class<?> encapsulated = Class.forName("javax.crypto.KEM$Encapsulated");
                Class<?> decapsulator = Class.forName("javax.crypto.KEM$Decapsulator");
                return new Kem(
                        l.findStatic(kem, "getInstance", MethodType.methodType(kem, String.class, Provider.class))
                                .asType(MethodType.methodType(Object.class, String.class, Provider.class)),
                        l.findVirtual(kem, "newEncapsulator", MethodType.methodType(encapsulator, PublicKey.class, SecureRandom.class))
                                .asType(MethodType.methodType(Object.class, Object.class, PublicKey.class, SecureRandom.class)),
                        l.findVirtual(encapsulator, "encapsulate", MethodType.methodType(encapsulated))
                                .asType(MethodType.methodType(Object.class, Object.class)),
                        l.findVirtual(encapsulated, "encapsulation", MethodType.methodType(byte[].class))
                                .asType(MethodType.methodType(byte[].class, Object.class)),
                        l.findVirtual(encapsulated, "key", MethodType.methodType(SecretKey.class))
                                .asType(MethodType.methodType(SecretKey.class, Object.class)),
                        l.findVirtual(kem, "newDecapsulator", MethodType.methodType(decapsulator, PrivateKey.class))
                                .asType(MethodType.methodType(Object.class, Object.class, PrivateKey.class)),
                        l.findVirtual(decapsulator, "decapsulate", MethodType.methodType(SecretKey.class, byte[].class))
                                .asType(MethodType.methodType(SecretKey.class, Object.class, byte[].class)));
            } catch (ReflectiveOperationException | LinkageError e) {
                // LinkageError: a native image built without reflection data for KEM (GraalVM's
                // MissingReflectionRegistrationError) also means "use Bouncy Castle".
                throw new NoSuchAlgorithmException("no javax.crypto.KEM in this JDK (JDK 21+ API, some 17 updates): " + e, e);
            }
        }

        /** KEM.getInstance(algorithm, provider). */
        Object getInstance(String algorithm, Provider provider) throws GeneralSecurityException {
            try {
                return (Object) getInstance.invokeExact(algorithm, provider);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        Object newEncapsulator(Object kem, PublicKey publicKey, SecureRandom random) throws GeneralSecurityException {
            try {
                return (Object) newEncapsulator.invokeExact(kem, publicKey, random);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        Object encapsulate(Object encapsulator) throws GeneralSecurityException {
            try {
                return (Object) encapsulate.invokeExact(encapsulator);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        byte[] encapsulation(Object encapsulated) throws GeneralSecurityException {
            try {
                return (byte[]) encapsulation.invokeExact(encapsulated);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        SecretKey key(Object encapsulated) throws GeneralSecurityException {
            try {
                return (SecretKey) key.invokeExact(encapsulated);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        Object newDecapsulator(Object kem, PrivateKey privateKey) throws GeneralSecurityException {
            try {
                return (Object) newDecapsulator.invokeExact(kem, privateKey);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        SecretKey decapsulate(Object decapsulator, byte[] ciphertext) throws GeneralSecurityException {
            try {
                return (SecretKey) decapsulate.invokeExact(decapsulator, ciphertext);
            } catch (Throwable t) {
                throw rethrown(t);
            }
        }

        /** The checked exceptions of the KEM API come back as themselves; unchecked ones are rethrown. */
        private static GeneralSecurityException rethrown(Throwable t) {
            if (t instanceof GeneralSecurityException g) {
                return g;
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }
}
