package org.dapstream.crypto;

import java.security.MessageDigest;

/** Comparisons whose running time does not depend on where the inputs differ (for MACs, tags, tokens). */
public final class ConstantTime {
    private ConstantTime() {
    }

    /**
     * True when both arrays have the same length and contents. The time depends only on the
     * lengths ({@link MessageDigest#isEqual} is constant-time since JDK 6u17); {@code null}
     * equals only {@code null}.
     */
    public static boolean equals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
