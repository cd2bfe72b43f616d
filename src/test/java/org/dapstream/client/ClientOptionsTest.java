package org.dapstream.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.NodeAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.security.Provider;
import java.security.SecureRandomSpi;
import java.security.Security;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plaintext options cost no key generation. Generating an identity needs a {@code new SecureRandom()},
 * which takes the first provider's SecureRandom: a counting provider put first sees every one.
 */
class ClientOptionsTest {
    private static final String PROVIDER = "CountingRandomForClientOptionsTest";
    private static final AtomicInteger RANDOMS = new AtomicInteger();

    /** Deterministic test randomness; only its creation is counted. */
    private static final class CountingSpi extends SecureRandomSpi {
        private final Random delegate = new Random(1); // not a SecureRandom: that would come back here

        @Override
        protected void engineSetSeed(byte[] seed) {
            // fixed sequence: the test needs no real randomness
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            delegate.nextBytes(bytes);
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] seed = new byte[numBytes];
            delegate.nextBytes(seed);
            return seed;
        }
    }

    private static final class CountingProvider extends Provider {
        CountingProvider() {
            super(PROVIDER, "1", "counts SecureRandom instances");
            putService(new Service(this, "SecureRandom", "Counting", CountingSpi.class.getName(), null, null) {
                @Override
                public Object newInstance(Object parameter) {
                    RANDOMS.incrementAndGet();
                    return new CountingSpi();
                }
            });
        }
    }

    @BeforeEach
    void countRandoms() {
        Security.insertProviderAt(new CountingProvider(), 1);
        RANDOMS.set(0);
    }

    @AfterEach
    void removeCounter() {
        Security.removeProvider(PROVIDER);
    }

    @Test
    void plaintextGeneratesNoIdentity() {
        ClientOptions options = ClientOptions.plaintext();
        assertNull(options.security());
        assertEquals(NodeAddress.NONE, options.node());
        assertEquals(ClientOptions.DEFAULT_CONNECT_TIMEOUT, options.connectTimeout());
        assertEquals(0, RANDOMS.get(), "no SecureRandom made, so no key generated");
    }

    @Test
    void defaultsGenerateAnIdentity() {
        ClientOptions options = ClientOptions.defaults();
        assertNotNull(options.security().identity());
        assertTrue(RANDOMS.get() > 0, "the counter sees the default options' key generation");
    }
}
