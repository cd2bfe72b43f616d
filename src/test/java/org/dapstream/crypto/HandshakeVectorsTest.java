package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
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
import java.util.Set;

/**
 * The test vectors of docs/PROTOCOL.md §21: a whole handshake with fixed identities and
 * fixed randomness, every message, every derived secret, and one sealed DATA frame.
 *
 * <p>The test runs the real handshake, then re-derives every secret from the documented
 * formulas on its own and checks both agree; then it checks every {@code ```vector} block
 * of the document equals what it computed, and that the document has no other vectors.
 * Run with {@code -Dvectors.print=true} to print the blocks for the document.
 */
class HandshakeVectorsTest {
    static final Path DOC = Path.of("docs/PROTOCOL.md");
    static final int SESSION_ID = 0x1A2B3C4D;
    static final int KEEPALIVE_MS = 3000;
    static final byte[] DATA_PAYLOAD = "hello, DAP".getBytes(StandardCharsets.US_ASCII);

    /** Every nextBytes call continues one counting sequence: first, first+1, ... (mod 256). */
    static final class CountingRandom extends SecureRandom {
        private int next;

        CountingRandom(int first) {
            next = first;
        }

        @Override
        public void nextBytes(byte[] bytes) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) next++;
            }
        }
    }

    static byte[] counting(int first, int n) {
        byte[] b = new byte[n];
        new CountingRandom(first).nextBytes(b);
        return b;
    }

    static Map<String, byte[]> compute() throws Exception {
        Map<String, byte[]> v = new LinkedHashMap<>();
        byte[] clientSecret = counting(0xA0, 32);
        byte[] serverSecret = counting(0xC0, 32);
        v.put("client Ed25519 private key", clientSecret.clone());
        v.put("server Ed25519 private key", serverSecret.clone());
        NodeIdentity client = NodeIdentity.ofEd25519(clientSecret.clone(), new SecureRandom());
        NodeIdentity server = NodeIdentity.ofEd25519(serverSecret.clone(), new SecureRandom());
        v.put("client public key", client.publicKey());
        v.put("server public key", server.publicKey());
        v.put("client node address", longBytes(client.address().value()));
        v.put("server node address", longBytes(server.address().value()));

        SecureRandom clientRandom = new CountingRandom(0x00);
        SecureRandom serverRandom = new CountingRandom(0x80);
        v.put("client random draws (hello random 32, X25519 private 32, ML-KEM d 32, z 32)", counting(0x00, 128));
        v.put("server random draws (hello random 32, X25519 private 32, ML-KEM m 32)", counting(0x80, 96));
        HandshakeSettings clientSettings = HandshakeSettings.defaults(client, clientRandom);
        HandshakeSettings serverSettings = HandshakeSettings.defaults(server, serverRandom)
                .withPeerPolicy(AuthPolicy.allowList(Set.of(client.address())));
        ClientHandshake ch = new ClientHandshake(clientSettings);
        ServerHandshake sh = new ServerHandshake(serverSettings);
        byte[] clientHello = ch.start();
        byte[] serverHello = sh.onClientHello(clientHello, node -> SESSION_ID, KEEPALIVE_MS);
        byte[] clientFinish = ch.onServerHello(serverHello);
        ServerHandshake.Finish finish = sh.onClientFinish(clientFinish);
        HandshakeResult clientResult = ch.onServerFinish(finish.serverFinish());
        v.put("CLIENT_HELLO", clientHello);
        v.put("SERVER_HELLO", serverHello);
        v.put("CLIENT_FINISH", clientFinish);
        v.put("SERVER_FINISH", finish.serverFinish());

        // Re-derive everything from the documented schedule, independently of the state machines.
        byte[] draws = counting(0x00, 128);
        HybridKem.ClientKeys keys = HybridKem.clientKeys(Arrays.copyOfRange(draws, 32, 128));
        byte[] serverShare = Arrays.copyOfRange(serverHello, 48, 48 + HandshakeMessage.SERVER_SHARE_SIZE);
        byte[] shared = keys.decapsulate(serverShare);
        v.put("shared secret (ML-KEM-768 || X25519)", shared.clone());
        byte[] helloHash = sha256(clientHello, serverHello);
        v.put("SHA-256(CH || SH)", helloHash);
        byte[] hs = Hkdf.extract(helloHash, shared);
        v.put("hs_secret", hs);
        byte[] clientFinishedKey = Hkdf.expand(hs, KeySchedule.CLIENT_FINISHED, 32);
        byte[] serverFinishedKey = Hkdf.expand(hs, KeySchedule.SERVER_FINISHED, 32);
        v.put("client finished key", clientFinishedKey);
        v.put("server finished key", serverFinishedKey);
        assertArrayEquals(Hkdf.hmac(clientFinishedKey, sha256(clientHello, serverHello,
                Arrays.copyOf(clientFinish, clientFinish.length - 32))), Arrays.copyOfRange(clientFinish, clientFinish.length - 32, clientFinish.length),
                "CLIENT_FINISH MAC per the schedule");
        assertArrayEquals(Hkdf.hmac(serverFinishedKey, sha256(clientHello, serverHello, clientFinish)),
                Arrays.copyOfRange(finish.serverFinish(), 1, 33), "SERVER_FINISH MAC per the schedule");
        byte[] fullHash = sha256(clientHello, serverHello, clientFinish, finish.serverFinish());
        v.put("SHA-256(CH || SH || CF || SF)", fullHash);
        byte[] master = Hkdf.extract(fullHash, hs);
        v.put("master", master);
        byte[] c2s = Hkdf.expand(master, KeySchedule.C2S_TRAFFIC, 32);
        byte[] s2c = Hkdf.expand(master, KeySchedule.S2C_TRAFFIC, 32);
        v.put("c2s traffic secret (epoch 0)", c2s);
        v.put("s2c traffic secret (epoch 0)", s2c);
        v.put("channel base", Hkdf.expand(master, KeySchedule.CHANNEL, 32));
        byte[] c2sKey = Hkdf.expand(c2s, KeySchedule.KEY, 32);
        byte[] c2sIv = Hkdf.expand(c2s, KeySchedule.IV, 12);
        v.put("c2s key (epoch 0)", c2sKey);
        v.put("c2s iv (epoch 0)", c2sIv);
        v.put("s2c key (epoch 0)", Hkdf.expand(s2c, KeySchedule.KEY, 32));
        v.put("s2c iv (epoch 0)", Hkdf.expand(s2c, KeySchedule.IV, 12));
        byte[] c2s1 = Hkdf.expand(c2s, KeySchedule.UPDATE, 32);
        v.put("c2s traffic secret (epoch 1)", c2s1);
        v.put("c2s key (epoch 1)", Hkdf.expand(c2s1, KeySchedule.KEY, 32));

        // One DATA frame, connector to acceptor: channel 1, seq 0, sealed under c2s epoch 0.
        byte[] frame = new byte[FrameHeader.SIZE + DATA_PAYLOAD.length + FrameCipher.TAG_SIZE];
        FrameHeader.write(frame, 0, DATA_PAYLOAD.length + FrameCipher.TAG_SIZE, PacketType.DATA, 0, 1, Flags.ENCRYPTED);
        System.arraycopy(DATA_PAYLOAD, 0, frame, FrameHeader.SIZE, DATA_PAYLOAD.length);
        byte[] byHandshake = frame.clone();
        try (FrameCipher derived = FrameCipher.create(AeadSuite.AES_256_GCM, c2sKey, c2sIv, 0);
             FrameCipher fromResult = clientResult.secrets().sending().cipher()) {
            derived.seal(ByteBuffer.wrap(frame), 0, DATA_PAYLOAD.length);
            fromResult.seal(ByteBuffer.wrap(byHandshake), 0, DATA_PAYLOAD.length);
        }
        assertArrayEquals(frame, byHandshake, "the handshake's keys are the documented ones");
        v.put("DATA frame (ch 1, seq 0, \"hello, DAP\", c2s epoch 0)", frame);
        byte[] nonce = c2sIv.clone();
        nonce[0] ^= 1; // ch_id 1 LE at bytes 0-1; epoch 0 and seq 0 leave the rest
        v.put("nonce of that frame", nonce);

        // Channel keys (mode 1) on channel 1: the connector's first request and the acceptor's.
        byte[] channelBase = Hkdf.expand(master, KeySchedule.CHANNEL, 32);
        byte[] connectorFirst = {0x01, 0x00, 0x01, 0x00, 0x00, 0x00};         // ch 1, g = 1
        byte[] acceptorFirst = {0x01, 0x00, 0x01, 0x00, 0x00, (byte) 0x80};   // ch 1, g = 2^31 + 1
        assertArrayEquals(connectorFirst, KeySchedule.channelContext(1, KeySchedule.channelKeyGeneration(1, false)));
        assertArrayEquals(acceptorFirst, KeySchedule.channelContext(1, KeySchedule.channelKeyGeneration(1, true)));
        byte[] check1 = Arrays.copyOf(Hkdf.expand(channelBase, KeySchedule.KEY_CHECK, connectorFirst, 32), 8);
        byte[] check2 = Arrays.copyOf(Hkdf.expand(channelBase, KeySchedule.KEY_CHECK, acceptorFirst, 32), 8);
        byte[] channelC2s = Hkdf.expand(channelBase, KeySchedule.CHANNEL_C2S, connectorFirst, 32);
        try (SessionSecrets.ChannelSecrets byConnector = clientResult.secrets().channel(1, KeySchedule.channelKeyGeneration(1, false), null);
             SessionSecrets.ChannelSecrets byAcceptor = clientResult.secrets().channel(1, KeySchedule.channelKeyGeneration(1, true), null)) {
            assertArrayEquals(check1, byConnector.check(), "the stream's channel keys are the documented ones");
            assertArrayEquals(check2, byAcceptor.check());
        }
        v.put("channel key context (ch 1, the connector's first CHANNEL_KEY, g = 1)", connectorFirst);
        v.put("channel key check (ch 1, g = 1)", check1);
        v.put("channel c2s secret (ch 1, g = 1)", channelC2s);
        v.put("channel key context (ch 1, the acceptor's first CHANNEL_KEY, g = 2^31 + 1)", acceptorFirst);
        v.put("channel key check (ch 1, g = 2^31 + 1)", check2);
        client.close();
        server.close();
        finish.result().secrets().close();
        clientResult.secrets().close();
        return v;
    }

    @Test
    void documentedVectorsAreWhatTheCodeComputes() throws Exception {
        Map<String, byte[]> computed = compute();
        if (Boolean.getBoolean("vectors.print")) {
            computed.forEach((name, bytes) -> System.out.println("Vector: " + name + "\n\n```vector\n" + wrap(bytes) + "```\n"));
        }
        Map<String, byte[]> documented = parse(Files.readAllLines(DOC));
        assertEquals(List.copyOf(computed.keySet()), List.copyOf(documented.keySet()), "vector names in docs/PROTOCOL.md");
        computed.forEach((name, bytes) -> assertArrayEquals(bytes, documented.get(name), "vector '" + name + "'"));
    }

    @Test
    void vectorsAreStableAcrossRuns() throws Exception {
        Map<String, byte[]> a = compute();
        Map<String, byte[]> b = compute();
        a.forEach((name, bytes) -> assertArrayEquals(bytes, b.get(name), name));
    }

    static Map<String, byte[]> parse(List<String> lines) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("Vector: ")) {
                continue;
            }
            String name = lines.get(i).substring("Vector: ".length()).strip();
            int j = i + 1;
            while (j < lines.size() && lines.get(j).isBlank()) {
                j++;
            }
            if (j >= lines.size() || !lines.get(j).strip().equals("```vector")) {
                fail("line " + (i + 1) + ": 'Vector: " + name + "' is not followed by a ```vector block");
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

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
