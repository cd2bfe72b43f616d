package org.dapstream.peers;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;

/**
 * One-way throughput of other streaming stacks, server and client in separate JVMs, so DAP
 * Stream's {@code bench --target} can be compared with them in one run (src/peers/run.sh).
 *
 * <pre>
 *   PeerBench server grpc --port P
 *   PeerBench client grpc --target 127.0.0.1:P --size 65536 --duration 10s --warmup 20s
 * </pre>
 *
 * The client sends messages of {@code --size} random bytes as fast as the peer's flow control
 * lets it; the server counts them. After the warm-up the client asks the server for its counts
 * at the start and at the end of the measured window (a request beside the data, on the same
 * connection), so the figure is what was received in the window. The line printed follows the
 * {@code bench} command's: msg/s, MB/s (10^6 payload bytes), the CPU per message of the client
 * JVM and of the receiving JVM.
 */
public final class PeerBench {
    /** Exit status for bad options, as the bench command's. */
    static final int BAD_OPTIONS = 2;
    /** Seed of the random payload, fixed so every run sends the same bytes. */
    private static final long PAYLOAD_SEED = 42;

    private PeerBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            usage();
        }
        String role = args[0];
        String peer = args[1];
        int port = 0;
        String target = null;
        int size = 65536;
        long durationNanos = parseDuration("10s");
        long warmupNanos = parseDuration("20s");
        for (int i = 2; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value);
                case "--target" -> target = value;
                case "--size" -> size = Integer.parseInt(value);
                case "--duration" -> durationNanos = parseDuration(value);
                case "--warmup" -> warmupNanos = parseDuration(value);
                default -> usage();
            }
            i++;
        }
        Peer p = switch (peer) {
            case "grpc" -> new GrpcPeer();
            default -> {
                usage();
                yield null;
            }
        };
        if (role.equals("server")) {
            p.serve(port);
            System.out.println(peer + " server listening on 127.0.0.1:" + port);
            System.out.flush();
            Thread.currentThread().join(); // until killed
        } else if (role.equals("client") && target != null) {
            int colon = target.lastIndexOf(':');
            String host = target.substring(0, colon);
            int targetPort = Integer.parseInt(target.substring(colon + 1));
            byte[] payload = new byte[size];
            new Random(PAYLOAD_SEED).nextBytes(payload);
            System.out.println("bench: " + peer + " oneway size=" + size + " target=" + target);
            System.out.println(String.format(Locale.ROOT, "jvm: %s %s, %d processors", System.getProperty("java.vm.name"),
                    System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors()));
            Report.Window w = p.measure(host, targetPort, payload, warmupNanos, durationNanos);
            System.out.println(w.line(peer, size));
            System.exit(0); // the peers' non-daemon threads
        } else {
            usage();
        }
    }

    private static void usage() {
        System.err.println("usage: PeerBench server grpc --port P\n"
                + "       PeerBench client grpc --target host:port [--size B] [--duration D] [--warmup D]");
        System.exit(BAD_OPTIONS);
    }

    static long parseDuration(String s) {
        if (s.endsWith("ms")) {
            return Long.parseLong(s.substring(0, s.length() - 2)) * 1_000_000L;
        }
        if (s.endsWith("s")) {
            return Long.parseLong(s.substring(0, s.length() - 1)) * 1_000_000_000L;
        }
        if (s.endsWith("m")) {
            return Long.parseLong(s.substring(0, s.length() - 1)) * 60_000_000_000L;
        }
        throw new IllegalArgumentException("duration like 500ms, 10s or 1m: " + s);
    }

    /** CPU time of this JVM (all threads, kernel time included), or -1 when the platform does not say. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** One stack under test: a receiving server and a sending client. */
    interface Peer {
        /** Starts the receiving server on 127.0.0.1:{@code port}. */
        void serve(int port) throws Exception;

        /** Sends {@code payload} until the window after the warm-up has been measured. */
        Report.Window measure(String host, int port, byte[] payload, long warmupNanos, long durationNanos) throws Exception;
    }
}
