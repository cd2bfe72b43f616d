package org.dapstream.crypto;

import java.util.Arrays;

/**
 * What a completed handshake leaves behind: the two directions' traffic secrets, the
 * base from which channel keys are derived, and the base of the session's resumption secrets. Owned by one stream, on its event loop; wiped
 * when the stream ends.
 */
public final class SessionSecrets implements AutoCloseable {
    private final AeadSuite suite;
    private final boolean connector;
    private final TrafficSecret c2s;
    private final TrafficSecret s2c;
    private final byte[] channelBase;
    private final byte[] transcriptHash;
    /** Expand(master, RESUMPTION, 32): each ticket's resumption secret is derived from it. */
    private final byte[] resumptionBase;
    private boolean closed;

    SessionSecrets(AeadSuite suite, boolean connector, byte[] master, byte[] transcriptHash) {
        this.suite = suite;
        this.connector = connector;
        this.c2s = new TrafficSecret(suite, Hkdf.expand(master, KeySchedule.C2S_TRAFFIC, KeySchedule.KEY_SIZE));
        this.s2c = new TrafficSecret(suite, Hkdf.expand(master, KeySchedule.S2C_TRAFFIC, KeySchedule.KEY_SIZE));
        this.channelBase = Hkdf.expand(master, KeySchedule.CHANNEL, KeySchedule.KEY_SIZE);
        this.transcriptHash = transcriptHash.clone();
        this.resumptionBase = Hkdf.expand(master, KeySchedule.RESUMPTION, KeySchedule.KEY_SIZE);
    }

    /**
     * The resumption secret of the session's ticket number {@code ticketNumber} (u32):
     * Expand(resumption_base, RESUMPTION_TICKET || n u32 LE, 32). Both sides derive it; a fresh
     * array the caller owns and wipes.
     */
    public byte[] resumptionSecret(long ticketNumber) {
        if (ticketNumber < 0 || ticketNumber > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a ticket number is a u32: " + ticketNumber);
        }
        if (closed) {
            throw new IllegalStateException("session secrets are closed");
        }
        return Hkdf.expand(resumptionBase, KeySchedule.RESUMPTION_TICKET, KeySchedule.u32Context(ticketNumber), KeySchedule.KEY_SIZE);
    }

    public AeadSuite suite() {
        return suite;
    }

    /** The secret chain of what this side sends. */
    public TrafficSecret sending() {
        return connector ? c2s : s2c;
    }

    /** The secret chain of what this side receives. */
    public TrafficSecret receiving() {
        return connector ? s2c : c2s;
    }

    /** SHA-256 of the whole handshake: identifies the session in both ends' logs without revealing anything. */
    public byte[] transcriptHash() {
        return transcriptHash.clone();
    }

    /**
     * A channel's own keys, generation {@code generation} (1 for the first CHANNEL_KEY on it):
     * derived from the session, or from {@code applicationKey} bound to this session.
     */
    public ChannelSecrets channel(int channelId, int generation, byte[] applicationKey) {
        byte[] base = applicationKey == null ? channelBase.clone() : Hkdf.extract(transcriptHash, applicationKey);
        try {
            byte[] context = KeySchedule.channelContext(channelId, generation);
            byte[] check = Arrays.copyOf(Hkdf.expand(base, KeySchedule.KEY_CHECK, context, Hkdf.HASH_SIZE), 8);
            TrafficSecret up = new TrafficSecret(suite, Hkdf.expand(base, KeySchedule.CHANNEL_C2S, context, KeySchedule.KEY_SIZE));
            TrafficSecret down = new TrafficSecret(suite, Hkdf.expand(base, KeySchedule.CHANNEL_S2C, context, KeySchedule.KEY_SIZE));
            return new ChannelSecrets(check, connector ? up : down, connector ? down : up);
        } finally {
            Secrets.wipe(base);
        }
    }

    /** A channel's key check value and its two directions, from this side's point of view. */
    public record ChannelSecrets(byte[] check, TrafficSecret sending, TrafficSecret receiving) implements AutoCloseable {
        @Override
        public void close() {
            sending.close();
            receiving.close();
        }
    }

    @Override
    public void close() {
        c2s.close();
        s2c.close();
        Secrets.wipe(channelBase, resumptionBase);
        closed = true;
    }
}
