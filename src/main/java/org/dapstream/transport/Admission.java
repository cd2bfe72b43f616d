package org.dapstream.transport;

import io.vertx.core.Vertx;
import org.dapstream.admission.AdmissionCap;
import org.dapstream.admission.HandshakeGate;
import org.dapstream.admission.StreamCaps;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.HandshakeOutcome;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamState;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Which connections a node serves, for every transport alike: the connection caps
 * ({@link StreamCaps}), the setup slots with their first-frame deadline and eviction
 * ({@link HandshakeGate}), the live streams and the drain. A transport asks
 * {@link #admit} for each new connection before it makes a stream, and either writes the
 * {@link Refusal} it gets and closes, or builds the stream with the {@link Ticket}'s
 * listener and hands the stream to {@link Ticket#started}. Transports that share one
 * admission share its caps and are drained together.
 *
 * <p>Thread-safe: acceptors on every event loop share it; admission takes the caps' locks
 * once per connection, never per frame.
 */
public final class Admission {
    /** The reason text of GOAWAY and of refused connections while draining. */
    public static final String DRAIN_REASON = "node draining";
    /** The reason text of the HANDSHAKE_BUSY that ends a connection evicted for a newer one. */
    public static final String EVICTED_REASON = "no complete frame yet and the handshake slots are full: evicted for a newer connection; retry";

    private final Vertx vertx;
    private final HandshakeGate gate;
    private final StreamCaps caps;
    private final StreamCounters counters;
    /** Whether streams run the secure handshake: refusals and timeouts in setup then count as handshake outcomes too. */
    private final boolean secure;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    /** Set once a drain begins: new connections are refused with ERROR GOING_AWAY. */
    private volatile Drain drain;

    /**
     * @param vertx    where the first-frame deadlines and the drain's timers run
     * @param counters where refusals, evictions and setup timeouts are counted
     * @param secure   whether the streams admitted run the secure handshake
     */
    public Admission(Vertx vertx, HandshakeGate gate, StreamCaps caps, StreamCounters counters, boolean secure) {
        this.vertx = vertx;
        this.gate = gate;
        this.caps = caps;
        this.counters = counters;
        this.secure = secure;
    }

    /**
     * Admission of a connection from {@code address} (its host), in order: the connection
     * caps (RESOURCE_EXHAUSTED over them), then a setup slot (HANDSHAKE_BUSY when none can be
     * had, see {@link HandshakeGate}). An admitted connection is watched for its first
     * complete frame: until then its slot may be evicted, and it ends at the first-frame
     * deadline. Call on the connection's event loop: the deadline fires there.
     */
    public Ticket admit(String address) {
        AdmissionCap overStreams = caps.admit(address);
        if (overStreams != null) {
            counters.refused(overStreams, ErrorCode.RESOURCE_EXHAUSTED);
            return new Ticket(new Refusal(overStreams, ErrorCode.RESOURCE_EXHAUSTED, "too many connections (this node allows "
                    + caps.maxStreams() + ", " + caps.maxPerAddress() + " per address); retry later"));
        }
        AtomicReference<Stream> bound = new AtomicReference<>();
        HandshakeGate.Slot slot = gate.admit(address, () -> {
            // On the newcomer's loop: count here, end the victim on its own loop (abort hands it over).
            counters.evicted();
            if (secure) {
                counters.handshake(HandshakeOutcome.REJECTED_BUSY);
            }
            Stream victim = bound.get();
            if (victim != null) {
                victim.abort(ErrorCode.HANDSHAKE_BUSY, EVICTED_REASON);
            }
        });
        AdmissionCap busy = slot.refusedBy();
        if (busy != null) {
            caps.release(address);
            if (secure) {
                counters.handshake(HandshakeOutcome.REJECTED_BUSY);
            }
            counters.refused(busy, ErrorCode.HANDSHAKE_BUSY);
            return new Ticket(new Refusal(busy, ErrorCode.HANDSHAKE_BUSY, "too many handshakes in progress (this node allows "
                    + gate.maxTotal() + ", " + gate.maxPerAddress() + " per address, " + gate.maxPerPrefix()
                    + " per network prefix); retry later"));
        }
        long firstFrameMillis = gate.firstFrameTimeout().toMillis();
        long firstFrameTimer = vertx.setTimer(firstFrameMillis, id -> {
            Stream s = bound.get();
            if (s != null && slot.isUnproven() && s.state() == StreamState.SETUP) {
                counters.setupTimeout();
                if (secure) {
                    counters.handshake(HandshakeOutcome.TIMEOUT);
                }
                s.abort(ErrorCode.SETUP_TIMEOUT, "no complete frame within " + firstFrameMillis + " ms of connecting");
            }
        });
        return new Ticket(address, slot, bound, firstFrameTimer);
    }

    /**
     * Drains the node: new connections are refused (ERROR GOING_AWAY), every stream is
     * sent GOAWAY with {@code grace}, and the drain completes as soon as the peers have
     * closed their streams. Streams still open when the grace period is over are closed with
     * CLOSE GOING_AWAY; those whose peer does not answer within {@code closeWait} are ended
     * with ERROR GOING_AWAY. Data the peers send meanwhile is delivered as usual. Calling it
     * again returns the drain already under way.
     *
     * @param alternates another member for each stream's peer, {@code host:port}, or empty
     */
    public synchronized CompletableFuture<DrainOutcome> drain(Duration grace, Duration closeWait, Function<Stream, String> alternates) {
        if (drain != null) {
            return drain.done;
        }
        Drain d = new Drain(streams.size());
        drain = d;
        for (Stream s : streams) {
            s.goAway(grace.toMillis(), alternates.apply(s), DRAIN_REASON);
        }
        d.checkEmpty();
        long graceTimer = vertx.setTimer(Math.max(1, grace.toMillis()), t -> {
            if (d.done.isDone()) {
                return;
            }
            d.closedAtGrace = streams.size();
            for (Stream s : streams) {
                s.close(ErrorCode.GOING_AWAY, "grace period of " + grace.toMillis() + " ms is over");
            }
            vertx.setTimer(Math.max(1, closeWait.toMillis()), u -> {
                d.aborted = streams.size();
                for (Stream s : streams) {
                    s.abort(ErrorCode.GOING_AWAY, "no answer to CLOSE within " + closeWait.toMillis() + " ms");
                }
                d.finish();
            });
        });
        d.done.whenComplete((o, e) -> vertx.cancelTimer(graceTimer));
        return d.done;
    }

    /** Whether a drain has begun (new connections are refused). */
    public boolean draining() {
        return drain != null;
    }

    /** Ends every live stream at once with ERROR {@code code}. */
    public void abortAll(ErrorCode code, String reason) {
        for (Stream s : streams) {
            s.abort(code, reason);
        }
    }

    /** The live streams. */
    public Collection<Stream> streams() {
        return List.copyOf(streams);
    }

    /** Streams in setup now (holding a slot of the handshake caps). */
    public int handshakesInProgress() {
        return gate.inProgress();
    }

    /** Streams in setup that have not yet delivered a complete frame (the ones eviction may end). */
    public int handshakesUnproven() {
        return gate.unproven();
    }

    /** Connections counted against the connection caps now (set up or not). */
    public int connections() {
        return caps.streams();
    }

    /**
     * A connection refused before any stream exists: the transport sends {@link #frame()}
     * and closes the connection; no stream, no session. Already counted.
     *
     * @param cap the cap that was full
     */
    public record Refusal(AdmissionCap cap, ErrorCode code, String reason) {
        /** One plaintext ERROR on ch 0 (seq 0) saying why. */
        public byte[] frame() {
            return FrameHeader.frame(PacketType.ERROR, 0, 0, 0, CloseReason.of(code, reason).encode());
        }
    }

    /**
     * One connection's admission: a {@link #refusal()}, or the slot and count it holds until
     * its stream ends. For an admitted connection, the transport builds the stream with
     * {@link #listener()}, calls {@link #proven()} once the stream has received its first
     * complete frame, and hands the stream to {@link #started} once it is built.
     */
    public final class Ticket {
        private final Refusal refusal;
        private final String address;
        private final HandshakeGate.Slot slot;
        private final AtomicReference<Stream> bound;
        private final long firstFrameTimer;
        /** Whether the connection still counts against the connection caps: released once, by the first end. */
        private final AtomicBoolean counted;
        private final StreamListener listener;

        private Ticket(Refusal refusal) {
            this.refusal = refusal;
            this.address = null;
            this.slot = null;
            this.bound = null;
            this.firstFrameTimer = -1;
            this.counted = new AtomicBoolean(false);
            this.listener = null;
        }

        private Ticket(String address, HandshakeGate.Slot slot, AtomicReference<Stream> bound, long firstFrameTimer) {
            this.refusal = null;
            this.address = address;
            this.slot = slot;
            this.bound = bound;
            this.firstFrameTimer = firstFrameTimer;
            this.counted = new AtomicBoolean(true);
            this.listener = new StreamListener() {
                @Override
                public void active(Stream stream) {
                    slot.release();
                }

                @Override
                public void closed(Stream stream, CloseReason reason) {
                    ended(stream);
                }
            };
        }

        /** Why the connection was refused; null when it was admitted. */
        public Refusal refusal() {
            return refusal;
        }

        /** The listener the admitted connection's stream is built with: it frees the slot and the count as the stream goes. */
        public StreamListener listener() {
            requireAdmitted();
            return listener;
        }

        /** The stream received its first complete frame: its slot can no longer be evicted. */
        public void proven() {
            requireAdmitted();
            slot.proven();
        }

        /**
         * The admitted connection's stream exists: it joins the live streams, unless it was
         * evicted meanwhile (it is ended) or the node is draining (it is ended with ERROR
         * GOING_AWAY, nothing being accepted on it yet). Call once, on its event loop.
         */
        public void started(Stream stream) {
            requireAdmitted();
            bound.set(stream);
            if (slot.evicted()) {
                // Evicted from another loop before the stream existed: end it now (a second abort does nothing).
                stream.abort(ErrorCode.HANDSHAKE_BUSY, EVICTED_REASON);
            }
            if (stream.state() != StreamState.CLOSED) {
                streams.add(stream);
            }
            if (drain != null) {
                // Still in setup: goAway ends it with ERROR GOING_AWAY, nothing was accepted on it.
                stream.goAway(0, "", DRAIN_REASON);
            }
        }

        private void ended(Stream stream) {
            slot.release();
            vertx.cancelTimer(firstFrameTimer);
            if (counted.compareAndSet(true, false)) {
                caps.release(address);
            }
            streams.remove(stream);
            Drain d = drain;
            if (d != null) {
                d.checkEmpty();
            }
        }

        private void requireAdmitted() {
            if (refusal != null) {
                throw new IllegalStateException("the connection was refused: " + refusal);
            }
        }
    }

    /** How a drain ended: streams open when it began, closed by their peers, closed at the grace period, ended unanswered. */
    public record DrainOutcome(int streamsAtStart, int closedByPeers, int closedAtGrace, int aborted) {
    }

    private final class Drain {
        final CompletableFuture<DrainOutcome> done = new CompletableFuture<>();
        final int atStart;
        volatile int closedAtGrace = -1;
        volatile int aborted;

        Drain(int atStart) {
            this.atStart = atStart;
        }

        void checkEmpty() {
            if (streams.isEmpty()) {
                finish();
            }
        }

        void finish() {
            int atGrace = Math.max(closedAtGrace, 0);
            done.complete(new DrainOutcome(atStart, closedAtGrace < 0 ? atStart : atStart - atGrace, atGrace - aborted, aborted));
        }
    }
}
