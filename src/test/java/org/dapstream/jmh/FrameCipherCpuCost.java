package org.dapstream.jmh;

import org.dapstream.crypto.AeadFailure;
import org.dapstream.crypto.AeadSuite;
import org.dapstream.crypto.FrameCipher;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Thread CPU time per {@link FrameCipher} seal and open, the same cases as
 * {@link FrameCipherBenchmark}, for a machine shared with other busy processes: JMH's
 * wall-clock warm-up is too short there (C2 gets little CPU and the 64 KiB path stays
 * interpreted for seconds), while CPU time and a warm-up measured in CPU seconds are not
 * affected. Prints ns per frame and GB/s of payload; the median of 7 rounds.
 * Args: [warm-up CPU seconds per case, default 3] [round CPU seconds, default 0.3] [only this suite].
 */
public final class FrameCipherCpuCost {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int ROUNDS = 7;
    private static int sink;

    public static void main(String[] args) throws Exception {
        double warm = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        double round = args.length > 1 ? Double.parseDouble(args[1]) : 0.3;
        System.out.println("jvm: " + System.getProperty("java.vm.name") + " " + Runtime.version());
        for (AeadSuite suite : AeadSuite.values()) {
            if (args.length > 2 && !suite.name().equals(args[2])) {
                continue;
            }
            for (int size : new int[] {64, 65536}) {
                for (boolean direct : new boolean[] {false, true}) {
                    Case c = new Case(suite, size, direct);
                    String name = String.format(Locale.ROOT, "%-17s %5d %-6s", suite, size, direct ? "direct" : "heap");
                    report(name + " seal", size, warm, round, c::seal);
                    report(name + " open", size, warm, round, c::open);
                    report(name + " copy", size, warm / 3, round, c::copy); // the part of "open" that is not opening
                    if (direct) {
                        // The send path into the transport's direct batch from the caller's heap array:
                        // today's copy-in then seal in place, against sealing from the source.
                        report(name + " copy-in+seal", size, warm, round, c::copyInAndSeal);
                        try {
                            report(name + " seal-from-heap", size, warm, round, c::sealFromHeap);
                        } catch (NoSuchMethodError e) {
                            System.out.println(name + " seal-from-heap: not in this build"); // run against an older FrameCipher for before/after
                        }
                    }
                }
            }
        }
    }

    private interface Op {
        int run() throws AeadFailure;
    }

    /** One sealed frame and a cipher pair; {@code open} first copies the sealed frame back in, as it decrypts in place. */
    private static final class Case {
        final int size;
        final ByteBuffer buf;
        final FrameCipher sealer;
        final FrameCipher opener;
        final ByteBuffer payload;
        final ByteBuffer sealedCopy;
        /** A caller's message in a heap array. */
        final byte[] source;
        int seq;

        Case(AeadSuite suite, int size, boolean direct) {
            this.size = size;
            this.source = new byte[size];
            new java.util.Random(size).nextBytes(source);
            byte[] key = new byte[32];
            key[0] = 1;
            sealer = FrameCipher.create(suite, key, new byte[12], 0);
            opener = FrameCipher.create(suite, key, new byte[12], 0);
            buf = direct ? ByteBuffer.allocateDirect(12 + size + 16) : ByteBuffer.allocate(12 + size + 16);
            buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).putInt(0, size + 16).put(4, (byte) 1).putShort(9, (short) 1).put(11, (byte) 2);
            sealer.seal(buf, 0, size);
            sealedCopy = direct ? ByteBuffer.allocateDirect(buf.capacity()) : ByteBuffer.allocate(buf.capacity());
            sealedCopy.put(buf.duplicate().clear()).clear();
            payload = buf.duplicate();
            payload.limit(12 + size + 16).position(12);
            seq = 1;
        }

        int seal() {
            buf.putInt(5, Integer.reverseBytes(seq++));
            sealer.seal(buf, 0, size);
            return buf.get(12);
        }

        /** Copy of the sealed frame back in (measured apart as copy), then open in place. */
        int open() throws AeadFailure {
            buf.clear();
            buf.put(sealedCopy.clear());
            buf.clear();
            return opener.open(size + 16, 1, 0, 1, 2, payload);
        }

        /** The plaintext copied from a heap array into the frame, then sealed in place (the send path before sealing from a source). */
        int copyInAndSeal() {
            buf.putInt(5, Integer.reverseBytes(seq++));
            buf.put(12, source, 0, size);
            sealer.seal(buf, 0, size);
            return buf.get(12);
        }

        /** The same frame sealed straight from the heap array. */
        int sealFromHeap() {
            buf.putInt(5, Integer.reverseBytes(seq++));
            sealer.seal(buf, 0, source, 0, size);
            return buf.get(12);
        }

        int copy() {
            buf.clear();
            buf.put(sealedCopy.clear());
            buf.clear();
            return buf.get(12);
        }
    }

    private static void report(String name, int size, double warmSeconds, double roundSeconds, Op op) throws Exception {
        timeRound(op, (long) (warmSeconds * 1e9));
        double[] perOp = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            perOp[r] = timeRound(op, (long) (roundSeconds * 1e9));
        }
        java.util.Arrays.sort(perOp);
        double median = perOp[ROUNDS / 2];
        System.out.println(String.format(Locale.ROOT, "%s %10.1f ns CPU/frame  %6.2f GB/s  (min %.1f, max %.1f)",
                name, median, size / median, perOp[0], perOp[ROUNDS - 1]));
    }

    private static double timeRound(Op op, long budgetNanos) throws Exception {
        long start = THREADS.getCurrentThreadCpuTime();
        long n = 0;
        long used;
        do {
            for (int i = 0; i < 16; i++) {
                sink += op.run();
            }
            n += 16;
            used = THREADS.getCurrentThreadCpuTime() - start;
        } while (used < budgetNanos);
        return (double) used / n;
    }

    private FrameCipherCpuCost() {
    }
}
