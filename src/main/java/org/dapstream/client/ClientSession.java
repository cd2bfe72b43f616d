package org.dapstream.client;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Backoff;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelGap;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ResumeTicket;
import org.dapstream.stream.Session;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.Suspension;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A session that survives its connection (PROTOCOL.md section 32): when the connection is
 * lost, the client dials again with capped exponential back-off and full jitter and resumes
 * the session with its ticket; the channels stay the same objects, writes made meanwhile are
 * kept (within the session store), and every message either side wrote arrives once, in
 * order. The application hears {@link SessionListener#suspended}, {@link SessionListener#resumed}
 * and, when it is over, {@link SessionListener#ended} — not errors.
 *
 * <p>The session ends when the application closes it, the node closes it, a resumption is
 * refused (the ticket is not accepted: the node restarted, or the session expired there), or
 * the node's session expiry passes without a resumption. Thread-safe.
 */
public final class ClientSession implements AutoCloseable {
    /**
     * Answers that a later attempt would get too: the session cannot be resumed. Not
     * TICKET_REPLAYED: the holder of a ticket gets it while the node still holds an attempt of
     * its own whose connection it has not yet seen go, which passes.
     */
    private static final Set<ErrorCode> FINAL = EnumSet.of(ErrorCode.TICKET_INVALID, ErrorCode.TICKET_BINDER_MISMATCH,
            ErrorCode.TICKET_EXPIRED, ErrorCode.TICKET_WRONG_NODE, ErrorCode.SESSION_UNKNOWN,
            ErrorCode.AUTH_REFUSED, ErrorCode.IDENTITY_MISMATCH, ErrorCode.NO_COMMON_SUITE, ErrorCode.UNSUPPORTED_VERSION);

    /** Attempts at a GOAWAY's alternate before the session goes back to its own endpoints. */
    static final int ALTERNATE_ATTEMPTS = 3;

    private final Function<StreamListener, CompletableFuture<Stream>> dialNew;
    private final Resumer resumer;
    /** Where the session may be resumed, in order of preference; the first is where it began. */
    private final List<Endpoint> endpoints;
    /** The endpoint the next attempt dials: where the session ran, the next one after a failed attempt, or a GOAWAY's alternate. */
    private volatile Endpoint next;
    private int nextIndex;
    private int alternateFailures;
    private final SessionListener listener;
    private final Backoff backoff;
    private final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    /** Completes with the stream once the session runs (again); replaced at each suspension. */
    private volatile CompletableFuture<Stream> running = new CompletableFuture<>();
    private volatile Stream stream;
    private volatile boolean closing;
    private long cutAtNanos;
    private long deadlineNanos;
    private int attempts;

    /** Resumes a session on a new stream to {@code at}. */
    interface Resumer {
        CompletableFuture<Stream> resume(Endpoint at, ResumeTicket ticket, Session session, StreamListener listener);
    }

    /** A node's client endpoint. */
    record Endpoint(String host, int port) {
        /** {@code host:port} (an IPv6 host in brackets or not: the last colon separates the port). */
        static Endpoint parse(String hostPort) {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0 || colon == hostPort.length() - 1) {
                throw new IllegalArgumentException("endpoint must be host:port, got '" + hostPort + "'");
            }
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("endpoint port must be a number 1..65535, got '" + hostPort + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("endpoint port must be 1..65535, got '" + hostPort + "'");
            }
            return new Endpoint(host, port);
        }

        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    ClientSession(List<Endpoint> endpoints, Function<StreamListener, CompletableFuture<Stream>> dialNew, Resumer resumer,
                  SessionOptions options, SessionListener listener) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a session needs at least one endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.next = this.endpoints.get(0);
        this.dialNew = dialNew;
        this.resumer = resumer;
        this.listener = listener == null ? SessionListener.NONE : listener;
        this.backoff = new Backoff(options.backoffInitial(), options.backoffMax(), new SplittableRandom(),
                "backoffInitial", "backoffMax");
    }

    /** Dials the first stream; completes with this session once it is set up. */
    CompletableFuture<ClientSession> start() {
        return dialNew.apply(new Watch()).thenApply(s -> {
            if (!s.resumable()) {
                s.close();
                throw new CompletionException(new StreamException(ErrorCode.NO_COMMON_SUITE,
                        "the node did not agree session resumption (feature RESUMPTION): it is off there (dap.stream.session.resumption)"));
            }
            stream = s;
            running.complete(s);
            return this;
        });
    }

    /** The stream that carries the session now (or carried it last, while suspended). */
    public Stream stream() {
        return stream;
    }

    /** True while the connection is gone and the session waits to be resumed. */
    public boolean suspended() {
        return !running.isDone() && !closed.isDone();
    }

    /** Completes with the stream once the session runs: at once if it does now. */
    public CompletableFuture<Stream> whenRunning() {
        return running;
    }

    /**
     * Opens a channel on the session; while the session is suspended, once it is resumed. The
     * channel survives resumptions: it is the same object on every stream of the session.
     */
    public CompletableFuture<Channel> openChannel(ChannelType type, ChannelHandler handler) {
        return running.thenCompose(s -> s.openChannel(type, handler));
    }

    /** Completes with the reason once the session is over. */
    public CompletableFuture<CloseReason> closed() {
        return closed;
    }

    /** Ends the session: CLOSE to the node (or, while suspended, the kept messages let go and the channels closed). */
    @Override
    public void close() {
        closing = true;
        Stream s = stream;
        if (s != null && s.active()) {
            s.close();
            return;
        }
        end(CloseReason.of(ErrorCode.NORMAL, "closed by application"));
    }

    // ---------------------------------------------------------------- the connection's life

    /** Watches each stream of the session: a lost connection suspends, anything else ends. */
    private final class Watch implements StreamListener {
        @Override
        public void gap(Stream s, ChannelGap gap) {
            listener.gap(ClientSession.this, gap);
        }

        /**
         * GOAWAY naming another member: the session leaves this connection without CLOSE and
         * resumes there, where the node hands it over (PROTOCOL.md section 33.4). Without an
         * alternate it stays until the node closes it, as any stream would.
         */
        @Override
        public void goingAway(Stream s, ControlMessage.GoAway goAway) {
            if (s != stream || closing || !goAway.hasAlternate() || s.resumeTicket() == null) {
                return;
            }
            try {
                Endpoint alternate = Endpoint.parse(goAway.alternate());
                synchronized (ClientSession.this) {
                    next = alternate;
                    alternateFailures = 0;
                }
            } catch (IllegalArgumentException e) {
                return; // the codec admits only host:port; nothing else to go to
            }
            s.leave("the node is going away; resuming at " + goAway.alternate());
        }

        @Override
        public void closed(Stream s, CloseReason reason) {
            if (s != stream) {
                return; // an attempt that failed: its outcome is handled where it was made
            }
            Session session = s.session();
            ResumeTicket ticket = s.resumeTicket();
            if (closing || session == null || session.suspension() == null || ticket == null) {
                end(reason);
                return;
            }
            synchronized (ClientSession.this) {
                running = new CompletableFuture<>();
                cutAtNanos = System.nanoTime();
                deadlineNanos = cutAtNanos + Duration.ofSeconds(ticket.lifetimeSeconds()).toNanos();
                attempts = 0;
                backoff.reset();
            }
            listener.suspended(ClientSession.this, reason);
            schedule(s, ticket, session);
        }
    }

    private void schedule(Stream last, ResumeTicket ticket, Session session) {
        Duration delay = backoff.next();
        last.onLoopLater(delay.toMillis(), () -> attempt(last, ticket, session));
    }

    private void attempt(Stream last, ResumeTicket ticket, Session session) {
        if (closing) {
            end(CloseReason.of(ErrorCode.NORMAL, "closed by application"));
            return;
        }
        if (System.nanoTime() - deadlineNanos > 0) {
            end(CloseReason.of(ErrorCode.SESSION_EXPIRED, "not resumed within the node's session expiry of "
                    + ticket.lifetimeSeconds() + " s"));
            return;
        }
        int attempt;
        synchronized (this) {
            attempt = ++attempts;
        }
        CompletableFuture<Stream> dialled;
        Endpoint at = next;
        try {
            dialled = resumer.resume(at, ticket, session, new Watch());
        } catch (RuntimeException e) {
            end(CloseReason.of(ErrorCode.INTERNAL_ERROR, "cannot dial to resume: " + e.getMessage())); // e.g. the client was closed
            return;
        }
        dialled.whenComplete((s, e) -> {
            if (e == null) {
                Duration pause = Duration.ofNanos(System.nanoTime() - cutAtNanos);
                stream = s;
                running.complete(s);
                listener.resumed(this, s, pause, attempt);
                if (closing) {
                    s.close();
                }
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof StreamException se && FINAL.contains(se.reason().errorCode())) {
                end(se.reason());
            } else {
                nextEndpoint(at);
                schedule(last, ticket, session); // unreachable, refused, cut again: try again until the expiry
            }
        });
    }

    /**
     * An attempt at {@code failed} did not resume the session: the next one tries the next
     * endpoint (with one, the same). An alternate a GOAWAY named is tried
     * {@link #ALTERNATE_ATTEMPTS} times first: the node that named it is going away or has
     * too many sessions, and the alternate may only be slow to answer.
     */
    private synchronized void nextEndpoint(Endpoint failed) {
        if (next != failed) {
            return; // a GOAWAY named another meanwhile
        }
        if (!endpoints.contains(failed) && ++alternateFailures < ALTERNATE_ATTEMPTS) {
            return;
        }
        alternateFailures = 0;
        nextIndex = (endpoints.indexOf(failed) + 1) % endpoints.size(); // an alternate not in the list: back to the first
        next = endpoints.get(nextIndex);
    }

    /** The endpoint the session's next resumption dials. */
    String nextEndpoint() {
        return next.toString();
    }

    /** The session is over: what is still suspended closes, the futures complete, the listener hears it once. */
    private void end(CloseReason reason) {
        Stream s = stream;
        if (s != null && s.session() != null) {
            Suspension suspension = s.session().suspension();
            if (suspension != null) {
                s.endSuspension(suspension, reason);
            }
        }
        if (!running.isDone()) {
            running.completeExceptionally(new StreamException(reason));
        }
        if (closed.complete(reason)) {
            listener.ended(this, reason);
        }
    }
}
