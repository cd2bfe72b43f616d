package org.dapstream.protocol;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A fuzz input for the byte-stream targets: the bytes a peer sends, and where the fuzzer
 * cuts them into reads. Kept as a plain byte layout (not Jazzer's FuzzedDataProvider, which
 * reads its integers from the end) so a seed file is readable in a hex dump and easy to build:
 *
 * <pre>
 * byte 0      : low nibble = number of cuts n (0..15); high nibble = target option bits
 * n x 3 bytes : cut = u16 LE offset into the stream (taken modulo its length + 1),
 *               u8 pause = what the target does between the reads at this cut (e.g. advance a clock)
 * the rest    : the stream bytes
 * </pre>
 *
 * Cuts are sorted; equal cuts make an empty read, which is a legal input too. A file shorter
 * than its header is read as far as it goes (the stream is then empty).
 */
public record SplitInput(int options, byte[] stream, List<Read> reads) {
    /** Most cuts one input may ask for. */
    public static final int MAX_CUTS = 15;
    private static final int CUT_BYTES = 3;

    /** One read the target hands over: {@code stream[from..to)}, after {@code pause} (0..255, the target's unit). */
    public record Read(int from, int to, int pause) {
        public int length() {
            return to - from;
        }
    }

    public static SplitInput parse(byte[] input) {
        if (input.length == 0) {
            return new SplitInput(0, input, List.of(new Read(0, 0, 0)));
        }
        int cuts = input[0] & 0x0F;
        int options = (input[0] & 0xF0) >>> 4;
        int headerEnd = Math.min(input.length, 1 + cuts * CUT_BYTES);
        cuts = (headerEnd - 1) / CUT_BYTES;
        byte[] stream = java.util.Arrays.copyOfRange(input, headerEnd, input.length);
        long[] marks = new long[cuts]; // offset << 8 | pause, so sorting keeps each pause with its cut
        for (int i = 0; i < cuts; i++) {
            int at = 1 + i * CUT_BYTES;
            int offset = ((input[at] & 0xFF) | (input[at + 1] & 0xFF) << 8) % (stream.length + 1);
            marks[i] = (long) offset << 8 | (input[at + 2] & 0xFF);
        }
        java.util.Arrays.sort(marks);
        List<Read> reads = new ArrayList<>(cuts + 1);
        int from = 0;
        int pause = 0;
        for (long m : marks) {
            int to = (int) (m >>> 8);
            reads.add(new Read(from, to, pause));
            from = to;
            pause = (int) (m & 0xFF);
        }
        reads.add(new Read(from, stream.length, pause));
        return new SplitInput(options, stream, List.copyOf(reads));
    }

    /** The seed-file bytes for {@code stream} cut at {@code cuts} (offsets, no pauses). */
    public static byte[] encode(int options, byte[] stream, int... cuts) {
        int[] pauses = new int[cuts.length];
        return encode(options, stream, cuts, pauses);
    }

    public static byte[] encode(int options, byte[] stream, int[] cuts, int[] pauses) {
        if (cuts.length > MAX_CUTS || options < 0 || options > 0x0F || pauses.length != cuts.length) {
            throw new IllegalArgumentException("at most " + MAX_CUTS + " cuts, options 0..15, one pause per cut");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(options << 4 | cuts.length);
        for (int i = 0; i < cuts.length; i++) {
            if (cuts[i] < 0 || cuts[i] > stream.length || cuts[i] > 0xFFFF) {
                throw new IllegalArgumentException("cut " + cuts[i] + " outside the stream of " + stream.length + " bytes");
            }
            out.write(cuts[i]);
            out.write(cuts[i] >>> 8);
            out.write(pauses[i]);
        }
        out.writeBytes(stream);
        return out.toByteArray();
    }
}
