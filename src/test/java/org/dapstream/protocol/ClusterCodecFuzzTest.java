package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Hostile CLUSTER and LINK payloads: valid messages with bytes flipped, cut, or extended, and
 * random bytes after a valid kind. Each decodes, or is refused with MALFORMED_CLUSTER_MESSAGE;
 * nothing else is thrown, and whatever decodes encodes back to exactly the bytes it came from
 * (one encoding per message, so nothing a peer sends is read two ways).
 */
class ClusterCodecFuzzTest {
    private static final int ROUNDS = 20_000;

    @FunctionalInterface
    interface Codec {
        byte[] roundTrip(ByteBuffer payload) throws ProtocolException;
    }

    @Test
    void clusterMessagesDecodeCanonicallyOrAreRefused() {
        List<String> seeds = List.of("01 2a000000 06 707269636573", "02 07000000 01 61", "03 06 707269636573 6869",
                "04 06 707269636573 02 6b31 78", "81 2a000000 03000000 1e000000", "82 07000000 03000000",
                "83 2a000000 2b00 0300 616263", "84 03000000 01 efcdab8967452301 4d3c2b1a 0100000000000000 6869",
                "85 03000000 e803000000000000");
        fuzz(seeds, new int[] {0x01, 0x02, 0x03, 0x04, 0x81, 0x82, 0x83, 0x84, 0x85},
                b -> ClusterCodec.encode(ClusterCodec.decode(b)), 1);
    }

    @Test
    void linkMessagesDecodeCanonicallyOrAreRefused() {
        List<String> seeds = List.of("01 00 0a000000 14000000 0d 31302e302e302e373a38303739", "02 06 707269636573 4d3c2b1a efcdab8967452301",
                "03 01 61 ffffffff 1032547698badcfe", "04 06 707269636573 efcdab8967452301 4d3c2b1a 0700000000000000 6869",
                "05 06 707269636573 09000000 efcdab8967452301 4d3c2b1a 0800000000000000 6869");
        fuzz(seeds, new int[] {0x01, 0x02, 0x03, 0x04, 0x05}, b -> LinkCodec.encode(LinkCodec.decode(b)), 2);
    }

    private static void fuzz(List<String> seeds, int[] kinds, Codec codec, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int decoded = 0;
        int refused = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] input = round % 4 == 3 ? randomAfterKind(random, kinds) : mutate(random, Hex.decode(seeds.get(random.nextInt(seeds.size()))));
            try {
                byte[] again = codec.roundTrip(ByteBuffer.wrap(input));
                Hex.assertBytes(input, again, "decoded and encoded again");
                decoded++;
            } catch (ProtocolException e) {
                assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.code(), () -> e + "\n" + Hex.dump(input));
                refused++;
            }
        }
        // both outcomes happen, so the inputs are neither all trivially valid nor all garbage
        assertTrue(decoded > ROUNDS / 20 && refused > ROUNDS / 20, "decoded " + decoded + ", refused " + refused);
    }

    private static byte[] mutate(SplittableRandom random, byte[] valid) {
        byte[] out;
        switch (random.nextInt(4)) {
            case 0 -> {
                out = valid.clone();
                int at = 1 + random.nextInt(out.length - 1); // keep the kind: reach the field checks
                out[at] = (byte) random.nextInt(256);
            }
            case 1 -> out = Arrays.copyOf(valid, random.nextInt(valid.length + 1));
            case 2 -> {
                out = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(4));
                for (int i = valid.length; i < out.length; i++) {
                    out[i] = (byte) random.nextInt(256);
                }
            }
            default -> out = valid.clone(); // unchanged: must decode
        }
        return out;
    }

    private static byte[] randomAfterKind(SplittableRandom random, int[] kinds) {
        byte[] out = new byte[1 + random.nextInt(40)];
        for (int i = 1; i < out.length; i++) {
            out[i] = (byte) random.nextInt(256);
        }
        out[0] = (byte) kinds[random.nextInt(kinds.length)];
        return out;
    }
}
