package org.dapstream.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * CPU time used by this JVM so far, all threads. On a shared machine a rate only says how
 * much CPU the run was given; CPU per operation says what an operation costs.
 */
final class ProcessCpu {
    /** The JVM does not report process CPU time. */
    static final long UNKNOWN = -1;

    private ProcessCpu() {
    }

    /** Nanoseconds of CPU used by this process, or {@link #UNKNOWN}. */
    static long nanos() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean hotspot) {
            long t = hotspot.getProcessCpuTime();
            return t >= 0 ? t : UNKNOWN;
        }
        return UNKNOWN;
    }

    /** {@code after - before}, or {@link #UNKNOWN} when either is unknown. */
    static long between(long before, long after) {
        return before == UNKNOWN || after == UNKNOWN ? UNKNOWN : after - before;
    }
}
