package org.dapstream.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Time the JIT compilers have spent so far. On a two-core machine C2 can take a large share
 * of the CPU for tens of seconds after start (the secure handshake touches many classes), so
 * a window that overlaps it measures compilation as much as the code: a phase reports the
 * compile time inside its window, and a large figure says the warm-up was too short.
 */
final class JitTime {
    /** The JVM does not report compilation time. */
    static final long UNKNOWN = -1;

    private JitTime() {
    }

    /** Milliseconds of compilation so far (all compiler threads), or {@link #UNKNOWN}. */
    static long millis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : UNKNOWN;
    }

    /** {@code after - before}, or {@link #UNKNOWN} when either is unknown. */
    static long between(long before, long after) {
        return before == UNKNOWN || after == UNKNOWN ? UNKNOWN : after - before;
    }
}
