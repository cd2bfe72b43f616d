package org.dapstream.crypto;

import java.security.GeneralSecurityException;
import java.util.Locale;
import java.util.function.Function;

/**
 * The once-per-JVM choice between the JDK's own implementation of a post-quantum algorithm
 * (JDK 24+, faster, used only when its probe and cross-check against Bouncy Castle pass) and
 * Bouncy Castle's, from a system property: {@value #AUTO} (the default) or {@value #BOUNCY_CASTLE}.
 * Shared by {@link MlDsaEngine} and {@link MlKemEngine}, so both log and fall back alike.
 */
final class EngineChoice {
    static final String AUTO = "auto";
    static final String BOUNCY_CASTLE = "bc";

    /** The JDK engine, or a GeneralSecurityException saying why it is not usable. */
    @FunctionalInterface
    interface Probe<T> {
        T probe() throws GeneralSecurityException;
    }

    private EngineChoice() {
    }

    /**
     * @param algorithm    for the log line, e.g. "ML-DSA-65"
     * @param property     the system property that was read, for the log line
     * @param requested    its value
     * @param bouncyCastle the always-available engine
     * @param jdk          probes the JDK's engine
     * @param name         an engine's name for the log (no key material)
     */
    static <T> T choose(String algorithm, String property, String requested, T bouncyCastle, Probe<T> jdk,
                        Function<T, String> name, System.Logger log) {
        String mode = requested.trim().toLowerCase(Locale.ROOT);
        if (mode.equals(BOUNCY_CASTLE)) {
            log.log(System.Logger.Level.DEBUG, algorithm + " engine: Bouncy Castle (" + property + "=" + BOUNCY_CASTLE + ")");
            return bouncyCastle;
        }
        if (!mode.equals(AUTO)) {
            log.log(System.Logger.Level.WARNING, property + "=" + requested + " is not one of " + AUTO + ", "
                    + BOUNCY_CASTLE + "; using " + AUTO);
        }
        try {
            T chosen = jdk.probe();
            log.log(System.Logger.Level.DEBUG, algorithm + " engine: " + name.apply(chosen));
            return chosen;
        } catch (GeneralSecurityException | RuntimeException e) {
            log.log(System.Logger.Level.DEBUG, algorithm + " engine: Bouncy Castle (the JDK's " + algorithm + " is not usable: "
                    + e.getMessage() + ")");
            return bouncyCastle;
        }
    }
}
