package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import org.dapstream.protocol.Features;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test vectors of session resumption (PROTOCOL.md, section "Session resumption"): a
 * ticket sealed with a fixed key and nonce, then the abbreviated handshake with the counting
 * randomness of {@link HandshakeVectorsTest}. The test runs the real state machines,
 * re-derives every secret from the documented formulas independently, and checks both
 * against the hex below and against the document's {@code Resumption vector:} blocks.
 * Run with {@code -Dvectors.print=true} to print the blocks for the document.
 */
class ResumptionVectorsTest {
    static final Path[] DOCS = {Path.of("docs/PROTOCOL.md")};
    static final String MARK = "Resumption vector: ";
    static final int SESSION_ID = 0x1A2B3C4D;
    static final int KEEPALIVE_MS = 3000;
    static final long NOW = 1_800_000_000L;
    static final long EXPIRES_AT = NOW + 86_400;
    static final NodeAddress SERVER = new NodeAddress(0x02f811d9947baff6L);
    static final byte KEY_ID = 1;
    static final byte[] DATA_PAYLOAD = "hello, DAP".getBytes(StandardCharsets.US_ASCII);

    /** What the code computes, asserted here in hex (the same values as the document's blocks). */
    static final Map<String, String> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("master of the session's previous handshake", "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f");
        EXPECTED.put("resumption_base", "9c5da969232357fd25b69fce7b3d238a4cd1c918fb3fd3d2f072810598add66c");
        EXPECTED.put("resumption_secret(1)", "e2365884055861190ef2f82bf0bb719a8f3a6ca559c45413e9b3f886ec48b3ea");
        EXPECTED.put("ticket key (key id 0x01)", "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        EXPECTED.put("ticket nonce", "f0f1f2f3f4f5f6f7f8f9fafb");
        EXPECTED.put("ticket plaintext (version 1, session 0x1A2B3C4D, ticket 1, owner 02F8::11D9::947B::AFF6, expires 1800086400)", ""
                + "014d3c2b1a01000000f6af7b94d911f80280234b6b00000000e2365884055861190ef2f82bf0bb719a8f3a6ca559c454"
                + "13e9b3f886ec48b3ea");
        EXPECTED.put("ticket", ""
                + "01f0f1f2f3f4f5f6f7f8f9fafbe30b00cd1ebd678b5ec252ef51152182317576a1f3dd836700b470ae8530e71e1047ab"
                + "4b6ab85007295695e431db71382e8a5b2e4e42ee2a549164e381504821970283f85449132d65");
        EXPECTED.put("RESUME_HELLO up to its key share (kind, version, suites, features, ticket vec, random)", ""
                + "14010003000300560001f0f1f2f3f4f5f6f7f8f9fafbe30b00cd1ebd678b5ec252ef51152182317576a1f3dd836700b4"
                + "70ae8530e71e1047ab4b6ab85007295695e431db71382e8a5b2e4e42ee2a549164e381504821970283f85449132d6500"
                + "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        EXPECTED.put("RESUME_ACCEPT up to its key share (kind, version, suite, features, session, keepalive_ms, random)", ""
                + "150100010003004d3c2b1ab80b0000808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        EXPECTED.put("binder_key", "c0cb28c1f059f3a6d40bb66b6885b35984acd8543d22c7d868a6bff705754802");
        EXPECTED.put("SHA-256(RESUME_HELLO without its binder)", "03aff49c4e062f4d894d5752351dcc27814bcef013f37c454adde4cd90814305");
        EXPECTED.put("binder", "669a8b22d6349e1b0d7fd420e73593ba24c488ae8bec4698d3596b84ed96b2b1");
        EXPECTED.put("SHA-256(RESUME_HELLO)", "58140cc50e4bce09090e86c4e71096abec07c5f3d7273fcc2e8d29ea9f0ce3c2");
        EXPECTED.put("SHA-256(RH || RA without its mac)", "656a7904d25a805459b97780c939a52b885b729edb5c58288c1e8ee6465b58de");
        EXPECTED.put("hs_secret", "d2c7e2c60864145a3c88f762d2bec5fab168c30735772135412c5fe80de7ed1a");
        EXPECTED.put("RESUME_ACCEPT mac", "48c04af37592312ee244b58f2f7ad63e9f10ecf503ed2e08747f60e0b2d4e681");
        EXPECTED.put("SHA-256(RESUME_ACCEPT)", "e115a4519ed5d8c402ed902a113eda018696af99b56ca6a3fdab2326bf0698d1");
        EXPECTED.put("RESUME_FINISH", ""
                + "163fab7f763e53214d9c84165102d2425bf00cc4e7b204e518b43675674db7005b");
        EXPECTED.put("SHA-256(RH || RA || RF)", "0309d47b87311860b19867604e061a94eefd5d1fe8ccea4ce83d54a8d665ff80");
        EXPECTED.put("master", "7cc6e53a49d00117f158ff8dfc0406c8c4ee0ba8c1b439355f5a2e428a3a6b34");
        EXPECTED.put("c2s key (epoch 0)", "c3c5223dbe77672f473b21a39f2bc4a8e84cbb145d2441efa5c41317c9be3c38");
        EXPECTED.put("c2s iv (epoch 0)", "32bd9508558af1d855859bf0");
        EXPECTED.put("s2c key (epoch 0)", "8550b28091d3360bdcdd9c621fa5c56879c8ddb51f484a3937f5e343c4188c85");
        EXPECTED.put("resumption_secret(2) of the resumed session", "ad7d12c351b974807a2b0dd3c78bd6e8dd15296dee088062488a4e592918b47e");
        EXPECTED.put("DATA frame (ch 1, seq 0, \"hello, DAP\", c2s epoch 0)", ""
                + "1a00000001000000000100025c72334eb11f23e600fa59fe0c2c3ebd4ca0b19937b0e1252602");
    }

    static Map<String, byte[]> compute() throws Exception {
        Map<String, byte[]> v = new LinkedHashMap<>();
        byte[] previousMaster = HandshakeVectorsTest.counting(0x40, 32);
        v.put("master of the session's previous handshake", previousMaster.clone());
        byte[] resumptionBase = Hkdf.expand(previousMaster, KeySchedule.RESUMPTION, 32);
        v.put("resumption_base", resumptionBase);
        byte[] secret1 = Hkdf.expand(resumptionBase, KeySchedule.RESUMPTION_TICKET, new byte[]{1, 0, 0, 0}, 32);
        v.put("resumption_secret(1)", secret1);
        byte[] secretFromSession;
        try (SessionSecrets previous = new SessionSecrets(AeadSuite.AES_256_GCM, false, previousMaster, new byte[32])) {
            secretFromSession = previous.resumptionSecret(1);
        }
        assertArrayEquals(secret1, secretFromSession, "SessionSecrets derives the documented resumption secret");

        // The ticket: key id 1, key e0.., nonce f0..fb.
        byte[] ticketKey = HandshakeVectorsTest.counting(0xE0, 32);
        v.put("ticket key (key id 0x01)", ticketKey.clone());
        v.put("ticket nonce", HandshakeVectorsTest.counting(0xF0, 12));
        byte[] ticket;
        try (TicketSealer sealer = new TicketSealer(KEY_ID, ticketKey, (byte) 0, null, new HandshakeVectorsTest.CountingRandom(0xF0))) {
            ticket = sealer.seal(new TicketContents(SESSION_ID, 1, SERVER, EXPIRES_AT, secret1.clone()));
        }
        byte[] plaintext = ByteBuffer.allocate(57).order(ByteOrder.LITTLE_ENDIAN).put((byte) 1).putInt(SESSION_ID).putInt(1)
                .putLong(SERVER.value()).putLong(EXPIRES_AT).put(secret1).array();
        v.put("ticket plaintext (version 1, session 0x1A2B3C4D, ticket 1, owner 02F8::11D9::947B::AFF6, expires 1800086400)", plaintext);
        v.put("ticket", ticket);

        // The abbreviated handshake, the counting draws of the full handshake's vectors.
        NodeIdentity clientIdentity = NodeIdentity.ofEd25519(HandshakeVectorsTest.counting(0xA0, 32), new SecureRandom());
        NodeIdentity serverIdentity = NodeIdentity.ofEd25519(HandshakeVectorsTest.counting(0xC0, 32), new SecureRandom());
        assertEquals(SERVER, serverIdentity.address());
        int features = Features.ACKS | Features.RESUMPTION;
        HandshakeSettings clientSettings = HandshakeSettings.defaults(clientIdentity, new HandshakeVectorsTest.CountingRandom(0x00))
                .withFeatures(features);
        HandshakeSettings serverSettings = HandshakeSettings.defaults(serverIdentity, new HandshakeVectorsTest.CountingRandom(0x80))
                .withFeatures(features);
        ClientResumption client = new ClientResumption(clientSettings, ticket, 1, secret1);
        HandshakeResult clientResult;
        HandshakeResult serverResult;
        byte[] hello;
        byte[] accept;
        byte[] finish;
        try (TicketSealer sealer = new TicketSealer(KEY_ID, ticketKey, (byte) 0, null, new SecureRandom())) {
            ServerResumption server = new ServerResumption(serverSettings, sealer, SERVER, NOW);
            hello = client.start();
            accept = server.onResumeHello(hello, (session, number) -> { }, KEEPALIVE_MS);
            ClientResumption.Finished finished = client.onResumeAccept(accept);
            finish = finished.resumeFinish();
            clientResult = finished.result();
            serverResult = server.onResumeFinish(finish);
        }
        // The key shares are those of the full handshake's vectors: the same draws.
        Map<String, byte[]> full = HandshakeVectorsTest.compute();
        byte[] clientHello = full.get("CLIENT_HELLO");
        byte[] serverHello = full.get("SERVER_HELLO");
        int helloShareAt = hello.length - 32 - HandshakeMessage.CLIENT_SHARE_SIZE;
        assertArrayEquals(Arrays.copyOfRange(clientHello, clientHello.length - HandshakeMessage.CLIENT_SHARE_SIZE, clientHello.length),
                Arrays.copyOfRange(hello, helloShareAt, helloShareAt + HandshakeMessage.CLIENT_SHARE_SIZE));
        int acceptShareAt = 1 + 6 + 8 + 32;
        assertArrayEquals(Arrays.copyOfRange(serverHello, 48, 48 + HandshakeMessage.SERVER_SHARE_SIZE),
                Arrays.copyOfRange(accept, acceptShareAt, acceptShareAt + HandshakeMessage.SERVER_SHARE_SIZE));
        v.put("RESUME_HELLO up to its key share (kind, version, suites, features, ticket vec, random)", Arrays.copyOf(hello, helloShareAt));
        v.put("RESUME_ACCEPT up to its key share (kind, version, suite, features, session, keepalive_ms, random)",
                Arrays.copyOf(accept, acceptShareAt));

        // Re-derive everything from the documented schedule.
        byte[] binderKey = Hkdf.expand(secret1, KeySchedule.RESUME_BINDER, 32);
        v.put("binder_key", binderKey);
        byte[] helloHash = sha256(Arrays.copyOf(hello, hello.length - 32));
        v.put("SHA-256(RESUME_HELLO without its binder)", helloHash);
        byte[] binder = Hkdf.hmac(binderKey, helloHash);
        assertArrayEquals(binder, Arrays.copyOfRange(hello, hello.length - 32, hello.length), "binder per the schedule");
        v.put("binder", binder);
        v.put("SHA-256(RESUME_HELLO)", sha256(hello));
        HybridKem.ClientKeys keys = HybridKem.clientKeys(HandshakeVectorsTest.counting(0x20, 96));
        byte[] shared = keys.decapsulate(Arrays.copyOfRange(accept, acceptShareAt, acceptShareAt + HandshakeMessage.SERVER_SHARE_SIZE));
        assertArrayEquals(full.get("shared secret (ML-KEM-768 || X25519)"), shared, "the full handshake's shared secret");
        byte[] acceptHash = sha256(hello, Arrays.copyOf(accept, accept.length - 32));
        v.put("SHA-256(RH || RA without its mac)", acceptHash);
        byte[] ikm = new byte[96];
        System.arraycopy(secret1, 0, ikm, 0, 32);
        System.arraycopy(shared, 0, ikm, 32, 64);
        byte[] hs = Hkdf.extract(acceptHash, ikm);
        v.put("hs_secret", hs);
        byte[] raMac = Hkdf.hmac(Hkdf.expand(hs, KeySchedule.SERVER_FINISHED, 32), acceptHash);
        assertArrayEquals(raMac, Arrays.copyOfRange(accept, accept.length - 32, accept.length), "RA mac per the schedule");
        v.put("RESUME_ACCEPT mac", raMac);
        v.put("SHA-256(RESUME_ACCEPT)", sha256(accept));
        byte[] rfMac = Hkdf.hmac(Hkdf.expand(hs, KeySchedule.CLIENT_FINISHED, 32), sha256(hello, accept));
        assertArrayEquals(rfMac, Arrays.copyOfRange(finish, 1, 33), "RF mac per the schedule");
        v.put("RESUME_FINISH", finish);
        byte[] fullHash = sha256(hello, accept, finish);
        v.put("SHA-256(RH || RA || RF)", fullHash);
        byte[] master = Hkdf.extract(fullHash, hs);
        v.put("master", master);
        byte[] c2s = Hkdf.expand(master, KeySchedule.C2S_TRAFFIC, 32);
        byte[] c2sKey = Hkdf.expand(c2s, KeySchedule.KEY, 32);
        byte[] c2sIv = Hkdf.expand(c2s, KeySchedule.IV, 12);
        v.put("c2s key (epoch 0)", c2sKey);
        v.put("c2s iv (epoch 0)", c2sIv);
        v.put("s2c key (epoch 0)", Hkdf.expand(Hkdf.expand(master, KeySchedule.S2C_TRAFFIC, 32), KeySchedule.KEY, 32));
        v.put("resumption_secret(2) of the resumed session",
                Hkdf.expand(Hkdf.expand(master, KeySchedule.RESUMPTION, 32), KeySchedule.RESUMPTION_TICKET, new byte[]{2, 0, 0, 0}, 32));
        assertArrayEquals(v.get("resumption_secret(2) of the resumed session"), serverResult.secrets().resumptionSecret(2));
        assertArrayEquals(fullHash, clientResult.secrets().transcriptHash());

        // One DATA frame, connector to acceptor: channel 1, seq 0, sealed under c2s epoch 0, opened by the acceptor.
        byte[] frame = new byte[FrameHeader.SIZE + DATA_PAYLOAD.length + FrameCipher.TAG_SIZE];
        FrameHeader.write(frame, 0, DATA_PAYLOAD.length + FrameCipher.TAG_SIZE, PacketType.DATA, 0, 1, Flags.ENCRYPTED);
        System.arraycopy(DATA_PAYLOAD, 0, frame, FrameHeader.SIZE, DATA_PAYLOAD.length);
        byte[] byResumption = frame.clone();
        try (FrameCipher derived = FrameCipher.create(AeadSuite.AES_256_GCM, c2sKey, c2sIv, 0);
             FrameCipher fromResult = clientResult.secrets().sending().cipher();
             FrameCipher acceptor = serverResult.secrets().receiving().cipher()) {
            derived.seal(ByteBuffer.wrap(frame), 0, DATA_PAYLOAD.length);
            fromResult.seal(ByteBuffer.wrap(byResumption), 0, DATA_PAYLOAD.length);
            assertArrayEquals(frame, byResumption, "the resumption's keys are the documented ones");
            byte[] opened = frame.clone();
            int n = acceptor.open(DATA_PAYLOAD.length + FrameCipher.TAG_SIZE, PacketType.DATA.code(), 0, 1, Flags.ENCRYPTED,
                    ByteBuffer.wrap(opened, FrameHeader.SIZE, DATA_PAYLOAD.length + FrameCipher.TAG_SIZE).slice());
            assertArrayEquals(DATA_PAYLOAD, Arrays.copyOfRange(opened, FrameHeader.SIZE, FrameHeader.SIZE + n));
        }
        v.put("DATA frame (ch 1, seq 0, \"hello, DAP\", c2s epoch 0)", frame);
        clientResult.secrets().close();
        serverResult.secrets().close();
        clientIdentity.close();
        serverIdentity.close();
        return v;
    }

    @Test
    void theVectorsAreWhatTheCodeComputes() throws Exception {
        Map<String, byte[]> computed = compute();
        if (Boolean.getBoolean("vectors.print")) {
            computed.forEach((name, bytes) -> System.out.println(MARK + name + "\n\n```vector\n" + wrap(bytes) + "```\n"));
            computed.forEach((name, bytes) -> System.out.println("EXPECTED.put(\"" + name.replace("\"", "\\\"") + "\", \""
                    + HexFormat.of().formatHex(bytes) + "\");"));
        }
        assertEquals(List.copyOf(EXPECTED.keySet()), List.copyOf(computed.keySet()), "vector names");
        computed.forEach((name, bytes) -> assertEquals(EXPECTED.get(name), HexFormat.of().formatHex(bytes), "vector '" + name + "'"));
    }

    @Test
    void theDocumentShowsTheseVectors() throws Exception {
        Map<String, byte[]> documented = Map.of();
        for (Path doc : DOCS) {
            if (Files.exists(doc)) {
                documented = parse(Files.readAllLines(doc));
                if (!documented.isEmpty()) {
                    break;
                }
            }
        }
        assertFalse(documented.isEmpty(), "no '" + MARK + "' blocks in " + Arrays.toString(DOCS));
        assertEquals(List.copyOf(EXPECTED.keySet()), List.copyOf(documented.keySet()), "vector names in the document");
        for (Map.Entry<String, byte[]> e : documented.entrySet()) {
            assertEquals(EXPECTED.get(e.getKey()), HexFormat.of().formatHex(e.getValue()), "vector '" + e.getKey() + "'");
        }
    }

    static Map<String, byte[]> parse(List<String> lines) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith(MARK)) {
                continue;
            }
            String name = lines.get(i).substring(MARK.length()).strip();
            int j = i + 1;
            while (j < lines.size() && lines.get(j).isBlank()) {
                j++;
            }
            if (j >= lines.size() || !lines.get(j).strip().equals("```vector")) {
                fail("line " + (i + 1) + ": '" + MARK + name + "' is not followed by a ```vector block");
            }
            StringBuilder hex = new StringBuilder();
            for (j++; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
                hex.append(lines.get(j).replaceAll("\\s", ""));
            }
            if (out.put(name, HexFormat.of().parseHex(hex)) != null) {
                fail("vector '" + name + "' appears twice");
            }
        }
        return out;
    }

    private static String wrap(byte[] bytes) {
        String hex = HexFormat.of().formatHex(bytes);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 64) {
            sb.append(hex, i, Math.min(hex.length(), i + 64)).append('\n');
        }
        return sb.toString();
    }

    private static byte[] sha256(byte[]... parts) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        for (byte[] p : parts) {
            d.update(p);
        }
        return d.digest();
    }
}
