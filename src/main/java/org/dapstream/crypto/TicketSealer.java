package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Seals and opens the acceptor's resumption tickets. A ticket is opaque to the connector:
 *
 * <pre>
 * ticket    = key_id u8 | nonce[12] | AES-256-GCM(ticket_key, nonce, plaintext, aad = "dap-stream v1 ticket" || key_id)
 * plaintext = 01 (version) | session_id u32 | ticket_number u32 | owner u64 | expires_at_s u64 | resumption_secret[32]
 * </pre>
 *
 * (integers little-endian; 86 bytes in all). The node keeps its current key and the previous
 * one, so tickets sealed before a key rotation still open; it seals under the current key
 * only. Any ticket that does not open (unknown key id, wrong length, failed authentication,
 * unknown version) is TICKET_INVALID. The nonce is random: a key must seal far fewer than
 * 2^32 tickets, which a rotation well within that bounds.
 *
 * <p>Thread-safe (one cipher, used under the instance's lock): a node shares one sealer
 * between all its streams.
 */
public final class TicketSealer implements AutoCloseable {
    /** The plaintext's layout version. */
    public static final int VERSION = 1;
    /** Bytes of the ticket key (AES-256). */
    public static final int KEY_SIZE = 32;
    public static final int NONCE_SIZE = 12;
    public static final int TAG_SIZE = 16;
    public static final int PLAINTEXT_SIZE = 1 + 4 + 4 + 8 + 8 + KeySchedule.KEY_SIZE;
    /** Bytes of every ticket this class seals. */
    public static final int TICKET_SIZE = 1 + NONCE_SIZE + PLAINTEXT_SIZE + TAG_SIZE;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final byte[] AAD_LABEL = KeySchedule.TICKET_AAD.getBytes(StandardCharsets.US_ASCII);

    private final byte keyId;
    private final byte[] key;
    private final byte previousKeyId;
    private final byte[] previousKey;
    private final SecureRandom random;
    private final Cipher cipher;
    private boolean closed;

    /**
     * @param keyId         names the current key inside the tickets it seals
     * @param key32         the current ticket key (copied; the caller wipes its own)
     * @param previousKeyId names the previous key; ignored when there is none
     * @param previousKey32 the previous ticket key, still accepted for opening, or null
     * @param random        where the nonces come from
     */
    public TicketSealer(byte keyId, byte[] key32, byte previousKeyId, byte[] previousKey32, SecureRandom random) {
        Objects.requireNonNull(random, "random");
        if (key32 == null || key32.length != KEY_SIZE) {
            throw new IllegalArgumentException("a ticket key is " + KEY_SIZE + " bytes");
        }
        if (previousKey32 != null && previousKey32.length != KEY_SIZE) {
            throw new IllegalArgumentException("a ticket key is " + KEY_SIZE + " bytes");
        }
        if (previousKey32 != null && previousKeyId == keyId) {
            throw new IllegalArgumentException("the previous ticket key needs another key id than the current one: " + (keyId & 0xFF));
        }
        this.keyId = keyId;
        this.key = key32.clone();
        this.previousKeyId = previousKeyId;
        this.previousKey = previousKey32 == null ? null : previousKey32.clone();
        this.random = random;
        try {
            this.cipher = Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(TRANSFORMATION + " is missing from this JDK", e);
        }
    }

    /** The sealed ticket ({@link #TICKET_SIZE} bytes) of {@code contents}, under the current key. */
    public synchronized byte[] seal(TicketContents contents) {
        requireOpen();
        if (contents.resumptionSecret().length != KeySchedule.KEY_SIZE) {
            throw new IllegalArgumentException("a resumption secret is " + KeySchedule.KEY_SIZE + " bytes");
        }
        if (contents.ticketNumber() < 0 || contents.ticketNumber() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a ticket number is a u32: " + contents.ticketNumber());
        }
        byte[] plaintext = ByteBuffer.allocate(PLAINTEXT_SIZE).order(ByteOrder.LITTLE_ENDIAN).put((byte) VERSION)
                .putInt(contents.sessionId()).putInt((int) contents.ticketNumber()).putLong(contents.owner().value())
                .putLong(contents.expiresAtSeconds()).put(contents.resumptionSecret()).array();
        byte[] ticket = new byte[TICKET_SIZE];
        ticket[0] = keyId;
        byte[] nonce = new byte[NONCE_SIZE];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, ticket, 1, NONCE_SIZE);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_SIZE * 8, nonce));
            cipher.updateAAD(aad(keyId));
            cipher.doFinal(plaintext, 0, plaintext.length, ticket, 1 + NONCE_SIZE);
            return ticket;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing a ticket failed", e);
        } finally {
            Secrets.wipe(plaintext);
        }
    }

    /** The contents of a ticket this node sealed under its current or previous key; TICKET_INVALID otherwise. */
    public synchronized TicketContents open(byte[] ticket) throws HandshakeException {
        requireOpen();
        if (ticket.length != TICKET_SIZE) {
            throw invalid("the ticket is " + ticket.length + " bytes, this node's are " + TICKET_SIZE);
        }
        byte id = ticket[0];
        byte[] k = id == keyId ? key : previousKey != null && id == previousKeyId ? previousKey : null;
        if (k == null) {
            throw invalid("ticket key id " + (id & 0xFF) + " is not one of this node's");
        }
        byte[] plaintext;
        try {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k, "AES"), new GCMParameterSpec(TAG_SIZE * 8, ticket, 1, NONCE_SIZE));
            cipher.updateAAD(aad(id));
            plaintext = cipher.doFinal(ticket, 1 + NONCE_SIZE, ticket.length - 1 - NONCE_SIZE);
        } catch (AEADBadTagException e) {
            throw invalid("the ticket does not authenticate under key id " + (id & 0xFF));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening a ticket failed", e);
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(plaintext).order(ByteOrder.LITTLE_ENDIAN);
            int version = b.get() & 0xFF;
            if (version != VERSION) {
                throw invalid("ticket version " + version + ", this node reads " + VERSION);
            }
            int sessionId = b.getInt();
            long number = Integer.toUnsignedLong(b.getInt());
            NodeAddress owner = new NodeAddress(b.getLong());
            long expiresAt = b.getLong();
            byte[] secret = new byte[KeySchedule.KEY_SIZE];
            b.get(secret);
            return new TicketContents(sessionId, number, owner, expiresAt, secret);
        } finally {
            Secrets.wipe(plaintext);
        }
    }

    /** Wipes both keys; the sealer refuses to work after. */
    @Override
    public synchronized void close() {
        closed = true;
        // SecretKeySpec and SunJCE's expanded key keep private copies that no public API can zero.
        Secrets.wipe(key, previousKey);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("ticket sealer is closed");
        }
    }

    private static byte[] aad(byte id) {
        byte[] aad = new byte[AAD_LABEL.length + 1];
        System.arraycopy(AAD_LABEL, 0, aad, 0, AAD_LABEL.length);
        aad[AAD_LABEL.length] = id;
        return aad;
    }

    private static HandshakeException invalid(String message) {
        return new HandshakeException(ErrorCode.TICKET_INVALID, message);
    }
}
