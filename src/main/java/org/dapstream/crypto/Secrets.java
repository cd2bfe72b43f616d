package org.dapstream.crypto;

import java.util.Arrays;

/** Wiping of secret material we own (keys, seeds, IVs), so it does not linger in the heap until GC. */
public final class Secrets {
    private Secrets() {
    }

    /** Overwrites every array with zeros; {@code null} entries are skipped. */
    public static void wipe(byte[]... secrets) {
        for (byte[] s : secrets) {
            if (s != null) {
                Arrays.fill(s, (byte) 0);
            }
        }
    }
}
