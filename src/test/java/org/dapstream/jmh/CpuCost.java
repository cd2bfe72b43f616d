package org.dapstream.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Thread CPU time per operation, for the harnesses run by hand on a shared machine
 * ({@code HandshakeCpuCost}, {@code MlDsaEngineCpuCost}): {@link ThreadMXBean} CPU time, so
 * other busy processes barely move the figure; two warm-up rounds as long as a measured one
 * (so C2 has compiled the hot loops), then the median of {@link #ROUNDS} rounds.
 */
public final class CpuCost {
    public static final int ROUNDS = 7;
    private static final int WARM_UP_ROUNDS = 2;
    private static final int BATCH = 8;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** Keeps results alive so the JIT cannot drop the work. */
    private static volatile Object sink;

    /** One operation under measurement; its result is kept so it is not optimised away. */
    public interface Op {
        Object run() throws Exception;
    }

    private CpuCost() {
    }

    /**
     * Prints the JVM, then makes the engine choice of {@code choose} (its first use: the JDK
     * probe and cross-check) and prints its name with the CPU and wall time that took.
     */
    public static <T> T firstUse(java.util.function.Supplier<T> choose, java.util.function.Function<T, String> name) {
        System.out.println("jvm: " + System.getProperty("java.vm.name") + " " + Runtime.version());
        long t0 = System.nanoTime();
        long c0 = threadCpuNanos();
        T chosen = choose.get();
        System.out.printf(java.util.Locale.ROOT, "engine chosen: %s (first use, cold, incl. the JDK probe: %.1f ms CPU, %.1f ms wall)%n",
                name.apply(chosen), (threadCpuNanos() - c0) / 1e6, (System.nanoTime() - t0) / 1e6);
        return chosen;
    }

    /** CPU time of the calling thread so far, in nanoseconds. */
    public static long threadCpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** Measures {@code op} with rounds of {@code budgetSeconds} of CPU each and prints one line. */
    public static void report(String name, double budgetSeconds, Op op) throws Exception {
        long budget = (long) (budgetSeconds * 1e9);
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            timeRound(op, budget);
        }
        double[] perOp = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            perOp[r] = timeRound(op, budget);
        }
        Arrays.sort(perOp);
        System.out.println(String.format(Locale.ROOT, "%-28s %9.1f us CPU/op (min %.1f, max %.1f)",
                name, perOp[ROUNDS / 2] / 1000, perOp[0] / 1000, perOp[ROUNDS - 1] / 1000));
    }

    private static double timeRound(Op op, long budgetNanos) throws Exception {
        long start = threadCpuNanos();
        long n = 0;
        long used;
        do {
            for (int i = 0; i < BATCH; i++) {
                sink = op.run();
            }
            n += BATCH;
            used = threadCpuNanos() - start;
        } while (used < budgetNanos);
        return (double) used / n;
    }
}
