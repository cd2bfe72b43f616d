package org.dapstream.peers;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** The receiver's counters, as the client asks for them at both ends of the window. */
final class Report {
    /** Bytes of an encoded report: messages, payload bytes, receiver CPU nanoseconds. */
    static final int SIZE = 3 * Long.BYTES;

    final long messages;
    final long bytes;
    final long cpuNanos;

    Report(long messages, long bytes, long cpuNanos) {
        this.messages = messages;
        this.bytes = bytes;
        this.cpuNanos = cpuNanos;
    }

    byte[] encode() {
        return ByteBuffer.allocate(SIZE).putLong(messages).putLong(bytes).putLong(cpuNanos).array();
    }

    static Report decode(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        return new Report(in.getLong(), in.getLong(), in.getLong());
    }

    /** What a server has received; written by its receiving thread, read by the report request. */
    static final class Counters {
        private final AtomicLong messages = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();

        void received(int size) {
            messages.lazySet(messages.get() + 1); // one writer: the connection's event loop
            bytes.lazySet(bytes.get() + size);
        }

        Report now() {
            return new Report(messages.get(), bytes.get(), PeerBench.processCpuNanos());
        }
    }

    /** The receiver's counts at both ends of the window, with the client's clock and CPU. */
    record Window(Report start, Report end, long elapsedNanos, long clientCpuNanos) {
        static Window measure(ReportSource source, long warmupNanos, long durationNanos) throws Exception {
            Thread.sleep(warmupNanos / 1_000_000);
            Report start = source.report();
            long cpu0 = PeerBench.processCpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(durationNanos / 1_000_000);
            Report end = source.report();
            long t1 = System.nanoTime();
            long cpu1 = PeerBench.processCpuNanos();
            return new Window(start, end, t1 - t0, cpu1 - cpu0);
        }

        /** E.g. {@code grpc oneway security=off payload=random size=65536 conns=1 ch=1: 35,000 msg/s 2293.8 MB/s cpu=... (N msgs in 10.000 s)}. */
        String line(String peer, int size) {
            long messages = end.messages - start.messages;
            long bytes = end.bytes - start.bytes;
            double seconds = elapsedNanos / 1e9;
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                    "%s oneway security=off payload=random size=%d conns=1 ch=1: %,.0f msg/s %.1f MB/s",
                    peer, size, messages / seconds, bytes / 1e6 / seconds));
            if (messages > 0 && clientCpuNanos >= 0) {
                b.append(String.format(Locale.ROOT, " cpu=%.2fus/msg (%.2f cores busy)",
                        clientCpuNanos / 1e3 / messages, (double) clientCpuNanos / elapsedNanos));
            }
            long serverCpu = end.cpuNanos - start.cpuNanos;
            if (messages > 0 && start.cpuNanos >= 0) {
                b.append(String.format(Locale.ROOT, " receiver cpu=%.2fus/msg (%.2f cores busy)",
                        serverCpu / 1e3 / messages, (double) serverCpu / elapsedNanos));
            }
            b.append(String.format(Locale.ROOT, " (%,d msgs in %.3f s)", messages, seconds));
            return b.toString();
        }
    }

    /** Asks the receiver for its counts. */
    interface ReportSource {
        Report report() throws Exception;
    }
}
