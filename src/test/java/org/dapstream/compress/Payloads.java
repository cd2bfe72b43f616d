package org.dapstream.compress;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.SplittableRandom;

/** Test data: JSON-like log lines (what a log-shipping channel carries) and incompressible random bytes. */
public final class Payloads {
    private static final String[] LEVELS = {"INFO", "DEBUG", "WARN", "INFO", "ERROR"};
    private static final String[] LOGGERS = {"org.dapstream.stream.Stream", "org.dapstream.transport.TcpTransport",
            "org.dapstream.cluster.Balancer", "io.vertx.core.net.impl.NetServerImpl"};
    private static final String[] MESSAGES = {"channel opened", "frame written", "keepalive answered",
            "member joined the cluster", "write queue above the high-water mark", "session resumed"};

    private Payloads() {
    }

    /** {@code size} bytes of newline-separated JSON log records, varied by {@code seed} (cut at size). */
    public static byte[] logText(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder text = new StringBuilder(size + 256);
        long time = 1_764_190_000_000L + random.nextInt(1_000_000);
        while (text.length() < size) {
            time += random.nextInt(40);
            text.append("{\"ts\":").append(time)
                    .append(",\"level\":\"").append(LEVELS[random.nextInt(LEVELS.length)])
                    .append("\",\"logger\":\"").append(LOGGERS[random.nextInt(LOGGERS.length)])
                    .append("\",\"thread\":\"vert.x-eventloop-thread-").append(random.nextInt(4))
                    .append("\",\"msg\":\"").append(MESSAGES[random.nextInt(MESSAGES.length)])
                    .append("\",\"channel\":").append(random.nextInt(1, 65536))
                    .append(",\"seq\":").append(random.nextInt(1_000_000))
                    .append(",\"node\":\"").append(String.format("%04X::%04X::%04X::%04X",
                            random.nextInt(65536), random.nextInt(65536), random.nextInt(65536), random.nextInt(65536)))
                    .append("\"}\n");
        }
        byte[] all = text.toString().getBytes(StandardCharsets.US_ASCII);
        return java.util.Arrays.copyOf(all, size);
    }

    /** {@code size} uniformly random bytes (incompressible), fixed by {@code seed}. */
    public static byte[] random(int size, long seed) {
        byte[] out = new byte[size];
        new Random(seed).nextBytes(out);
        return out;
    }
}
