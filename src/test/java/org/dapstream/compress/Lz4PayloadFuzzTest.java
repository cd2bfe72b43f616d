package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The COMPRESSED payload reader fed arbitrary bytes. Input layout:
 *
 * <pre>
 * byte 0    : option bits: 0-1 the limit (maxOutput) {65800, 0, 18, 4096}; 2 direct source; 3 direct output
 * the rest  : the payload a peer sends (u32 LE length || LZ4 block, or anything)
 * </pre>
 *
 * Property: decompress returns n with n == the declared length &lt;= the limit, or throws
 * CompressionException (nothing else), with TRUNCATED for a payload under 4 bytes, else
 * TOO_LARGE exactly when the declared length is over the limit, else TRUNCATED for a prefix with
 * no block, else MALFORMED or LENGTH_MISMATCH; the output buffer is
 * never written past the declared length; positions and limits never move. Differential: the
 * JNI and the pure-Java implementation give the same result, bytes and reason, except that the
 * Java decoder may refuse (MALFORMED) a block that breaks the end-of-block rules, which the C
 * library decodes when the output has room to spare.
 */
class Lz4PayloadFuzzTest {
    private static final int[] LIMITS = {65_800, 0, 18, 4096};
    private static final int SRC_OFF = 3;
    private static final int DST_OFF = 2;
    private static final int GUARD = 8;
    private static final byte GUARD_BYTE = (byte) 0xC3;

    @FuzzTest
    void decompress(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int options = input[0] & 0xFF;
        int limit = LIMITS[options & 3];
        byte[] payload = Arrays.copyOfRange(input, 1, input.length);
        Outcome jni = run(Codecs.of(Codecs.JNI), payload, limit, options);
        Outcome java = run(Codecs.of(Codecs.JAVA), payload, limit, options);
        if (jni.reason == null && java.reason == CompressionException.Reason.MALFORMED) {
            // The one divergence allowed: the Java decoder enforces the block's end rules (last 5
            // bytes are literals, the last match starts 12 bytes before the end), the C library
            // only where the output buffer is nearly full; our compressors always follow them.
            return;
        }
        assertEquals(jni.toString(), java.toString(), "JNI and Java disagree");
    }

    private record Outcome(int length, CompressionException.Reason reason, String output) {
        @Override
        public String toString() {
            return reason != null ? reason.toString() : length + " bytes: " + output;
        }
    }

    private static Outcome run(Lz4Codec codec, byte[] payload, int limit, int options) {
        ByteBuffer src = allocate((options & 4) != 0, SRC_OFF + payload.length + 1);
        src.put(SRC_OFF, payload).limit(SRC_OFF + payload.length).position(1);
        ByteBuffer dst = output((options & 8) != 0, limit);
        long declared = payload.length >= 4
                ? (payload[0] & 0xFFL) | (payload[1] & 0xFFL) << 8 | (payload[2] & 0xFFL) << 16 | (payload[3] & 0xFFL) << 24
                : -1;
        Outcome outcome;
        try {
            int n = codec.decompress(src, SRC_OFF, payload.length, dst, DST_OFF, limit);
            assertTrue(n >= 0 && n <= limit, () -> "decoded " + n + " over the limit " + limit);
            assertEquals(declared, n, "decoded length differs from the declared one");
            byte[] out = new byte[n];
            dst.get(DST_OFF, out);
            outcome = new Outcome(n, null, HexFormat.of().formatHex(out));
        } catch (CompressionException e) {
            // Checked in this order: the prefix, the limit (so a bomb is refused first), then the block.
            CompressionException.Reason early = payload.length < 4 ? CompressionException.Reason.TRUNCATED
                    : declared > limit ? CompressionException.Reason.TOO_LARGE
                    : payload.length == 4 ? CompressionException.Reason.TRUNCATED
                    : null;
            if (early != null) {
                assertEquals(early, e.reason(), e::toString);
            } else {
                assertTrue(e.reason() == CompressionException.Reason.MALFORMED
                        || e.reason() == CompressionException.Reason.LENGTH_MISMATCH, e::toString);
            }
            outcome = new Outcome(-1, e.reason(), null);
        }
        assertEquals(1, src.position());
        assertEquals(SRC_OFF + payload.length, src.limit());
        assertEquals(1, dst.position());
        assertEquals(dst.capacity(), dst.limit());
        int written = outcome.reason == null ? outcome.length : (int) Math.max(0, Math.min(declared, limit));
        // Outside [DST_OFF, +written) every byte is still the guard (bulk compare: fast enough to fuzz).
        assertEquals(-1, dst.slice(0, DST_OFF).mismatch(GUARDS.slice(0, DST_OFF)), "output written before its offset");
        int after = DST_OFF + written;
        assertEquals(-1, dst.slice(after, dst.capacity() - after).mismatch(GUARDS.slice(0, dst.capacity() - after)),
                () -> "output written past the declared length " + written);
        // Restore the guard where the codec wrote, for the next run on this reused buffer.
        dst.put(DST_OFF, GUARDS, 0, written);
        return outcome;
    }

    /** Output buffers, one per (direct, limit), reused across runs: allocating 64 KiB twice per run dominated the fuzzing speed. */
    private static final ByteBuffer[][] OUTPUTS = new ByteBuffer[2][LIMITS.length];
    private static final ByteBuffer GUARDS = filled(ByteBuffer.allocate(DST_OFF + 65_800 + GUARD));

    private static ByteBuffer output(boolean direct, int limit) {
        int index = 0;
        while (LIMITS[index] != limit) {
            index++;
        }
        ByteBuffer[] row = OUTPUTS[direct ? 1 : 0];
        if (row[index] == null) {
            row[index] = filled(allocate(direct, DST_OFF + limit + GUARD));
        }
        return row[index].position(1);
    }

    private static ByteBuffer filled(ByteBuffer b) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, GUARD_BYTE);
        }
        return b;
    }

    private static ByteBuffer allocate(boolean direct, int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    /** The seeds: valid payloads of each kind and limit, and each row of the malformed table. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        byte[] text = Payloads.logText(3000, 1);
        s.put("log-text-3000", seed(3, compressed(text)));
        s.put("log-text-3000-direct", seed(3 | 4 | 8, compressed(text)));
        byte[] as = new byte[64];
        Arrays.fill(as, (byte) 'a');
        s.put("64-a", seed(0, compressed(as)));
        s.put("empty", seed(1, compressed(new byte[0])));
        s.put("hand-written-18", seed(2, hex("12000000 36 616263 0300 50 68656c6c6f")));
        s.put("random-200", seed(0, compressed(Payloads.random(200, 1))));
        s.put("truncated-prefix", seed(0, hex("1200")));
        s.put("prefix-only", seed(0, hex("12000000")));
        // Found by the first campaign (as a false alarm of the target): too large wins over no block.
        s.put("prefix-only-too-large", seed(0, hex("1200ea00")));
        s.put("declared-2pow31-1", seed(0, hex("ffffff7f 00")));
        s.put("high-bit", seed(0, hex("00000080 00")));
        s.put("over-small-limit", seed(2, hex("13000000 00")));
        s.put("declared-0-garbage", seed(0, hex("00000000 ffff")));
        s.put("declares-more", seed(0, hex("14000000 36 616263 0300 50 68656c6c6f")));
        s.put("declares-less", seed(0, hex("0a000000 36 616263 0300 50 68656c6c6f")));
        s.put("offset-0", seed(0, hex("12000000 36 616263 0000 50 68656c6c6f")));
        s.put("offset-too-far", seed(0, hex("12000000 36 616263 0400 50 68656c6c6f")));
        s.put("ends-after-match", seed(0, hex("0d000000 36 616263 0300")));
        s.put("long-literal-run", seed(0, hex("20010000 f0 ff 02")));
        // Found by the second campaign: C decodes 21 bytes, Java stops at the end rules; both LENGTH_MISMATCH.
        s.put("end-rules-broken-declares-more", seed(0, hex("20010000 e3 0000000000000000000000000000000000")));
        return s;
    }

    private static byte[] compressed(byte[] data) {
        ByteBuffer out = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(data.length));
        // The Java compressor: its output is the seed whichever implementation this JVM uses.
        int n = Codecs.of(Codecs.JAVA).compress(ByteBuffer.wrap(data), 0, data.length, out, 0);
        return Arrays.copyOf(out.array(), n);
    }

    private static byte[] seed(int options, byte[] payload) {
        byte[] seed = new byte[payload.length + 1];
        seed[0] = (byte) options;
        System.arraycopy(payload, 0, seed, 1, payload.length);
        return seed;
    }

    private static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replace(" ", ""));
    }

    /** Writes the seeds where Jazzer's regression mode reads them: run from the project root. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of("src/test/resources/org/dapstream/compress/Lz4PayloadFuzzTestInputs/decompress");
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
            Files.write(dir.resolve(seed.getKey()), seed.getValue());
        }
    }
}
