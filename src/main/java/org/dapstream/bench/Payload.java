package org.dapstream.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** {@code --payload}: what the messages contain, which decides what compression can do with them. */
public enum Payload {
    /** Bytes from a fixed-seed random generator: incompressible, so compression must notice and stay out of the way. */
    RANDOM("random"),
    /** JSON log lines, the compressible text of the compression benchmark (docs/BENCHMARKS.md). */
    JSON("json"),
    /** The bytes 0, 1, ..., 255 repeated: the payload of the figures before compression existed; LZ4 shrinks it ~250x. */
    PATTERN("pattern");

    /** Fixed, so every run (and both phases of a comparison) sends the same bytes. */
    private static final long SEED = 0x5EED_DA9L;

    private final String option;

    Payload(String option) {
        this.option = option;
    }

    public String option() {
        return option;
    }

    static Payload parse(String value) throws OptionException {
        for (Payload p : values()) {
            if (p.option.equals(value)) {
                return p;
            }
        }
        throw new OptionException("--payload: '" + value + "' is not random, json or pattern");
    }

    /** A message of {@code size} bytes of this kind. */
    byte[] fill(int size) {
        byte[] b = new byte[size];
        switch (this) {
            case RANDOM -> new SplittableRandom(SEED).nextBytes(b);
            case PATTERN -> {
                for (int i = 0; i < size; i++) {
                    b[i] = (byte) i;
                }
            }
            case JSON -> {
                SplittableRandom random = new SplittableRandom(SEED);
                StringBuilder text = new StringBuilder(size + 200);
                String[] levels = {"INFO", "DEBUG", "WARN"};
                String[] events = {"stream opened", "channel opened", "window update", "keepalive", "channel closed"};
                for (int i = 0; text.length() < size; i++) {
                    text.append("{\"ts\":\"2026-11-26T10:").append(10 + random.nextInt(50)).append(':').append(10 + random.nextInt(50))
                            .append('.').append(100 + random.nextInt(900)).append("Z\",\"level\":\"").append(levels[random.nextInt(levels.length)])
                            .append("\",\"node\":\"").append(Integer.toHexString(random.nextInt(0x10000))).append("::").append(Integer.toHexString(random.nextInt(0x10000)))
                            .append("\",\"stream\":").append(random.nextInt(5000)).append(",\"channel\":").append(random.nextInt(64))
                            .append(",\"event\":\"").append(events[random.nextInt(events.length)]).append("\",\"bytes\":").append(random.nextInt(1 << 20))
                            .append("}\n");
                }
                System.arraycopy(text.toString().getBytes(StandardCharsets.UTF_8), 0, b, 0, size);
            }
        }
        return b;
    }
}
