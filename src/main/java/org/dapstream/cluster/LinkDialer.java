package org.dapstream.cluster;

import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Backoff;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;

/**
 * Keeps this node's end of one member's link: dials the member's cluster endpoint, and after
 * the handshake (which proves both ends' cluster endorsement) either keeps the link (this
 * node's address is the lower one), leaves the dialling to the peer (its address is lower),
 * or finds that the endpoint is this node. A failed dial or a dropped link is dialled again
 * after a capped exponential back-off with full jitter.
 *
 * <p>A peer that should dial but does not (its member list lacks this node) would leave the
 * pair unlinked; after {@link #PEER_DIAL_WAIT} this node dials again and keeps the link, and
 * {@link Links} settles the pair should the peer dial after all.
 */
final class LinkDialer {
    private static final System.Logger LOG = System.getLogger(LinkDialer.class.getName());
    /** How long to wait for a lower-addressed peer to dial before dialling and keeping the link anyway. */
    static final Duration PEER_DIAL_WAIT = Duration.ofSeconds(5);

    /** What the dialer needs from the node: how to dial, where links go, how to wait. */
    interface Context {
        NodeAddress self();

        StreamClient client();

        Links links();

        /** Runs {@code task} after {@code delayMillis}, off the caller's thread. */
        void schedule(long delayMillis, Runnable task);
    }

    private final MemberEndpoint endpoint;
    private final Context context;
    private final Backoff backoff;
    private LinkState state = LinkState.BACKING_OFF;
    private NodeAddress peer;
    private String lastProblem;
    private Instant since = Instant.now();
    private boolean stopped;
    /** The peer was waited for once: the next dial keeps the link whatever the addresses. */
    private boolean keepRegardless;
    private long attempts;

    LinkDialer(MemberEndpoint endpoint, Context context, Backoff backoff) {
        this.endpoint = endpoint;
        this.context = context;
        this.backoff = backoff;
    }

    MemberEndpoint endpoint() {
        return endpoint;
    }

    synchronized LinkState state() {
        Link link = peer == null ? null : context.links().to(peer);
        if (link != null && link.up() && state != LinkState.SELF) {
            return LinkState.UP;
        }
        return state;
    }

    synchronized NodeAddress peer() {
        return peer;
    }

    synchronized String lastProblem() {
        return lastProblem;
    }

    synchronized Instant since() {
        return since;
    }

    synchronized long attempts() {
        return attempts;
    }

    /** Starts dialling (at once). */
    void start() {
        dial();
    }

    /** Stops for good: no further dials; an existing link is left to the caller. */
    synchronized void stop() {
        stopped = true;
        move(LinkState.STOPPED, null);
    }

    /** This endpoint is this node (recognised without dialling). */
    synchronized void markSelf(NodeAddress self) {
        peer = self;
        move(LinkState.SELF, null);
    }

    private void dial() {
        synchronized (this) {
            if (stopped || state == LinkState.SELF) {
                return;
            }
            attempts++;
            move(LinkState.DIALING, lastProblem);
        }
        context.client().connect(endpoint.host(), endpoint.port()).whenComplete((stream, failure) -> {
            if (failure != null) {
                retry(describe(failure));
            } else {
                connected(stream);
            }
        });
    }

    private void connected(Stream stream) {
        NodeAddress proven = stream.peerIdentity() == null ? stream.node() : stream.peerIdentity().address();
        NodeAddress self = context.self();
        synchronized (this) {
            peer = proven;
            if (stopped) {
                stream.close();
                return;
            }
        }
        if (proven.equals(self)) {
            stream.close(ErrorCode.NORMAL, "a node does not link to itself");
            synchronized (this) {
                move(LinkState.SELF, null);
            }
            LOG.log(System.Logger.Level.DEBUG, "member " + endpoint + " is this node");
            return;
        }
        boolean peerDials = Long.compareUnsigned(proven.value(), self.value()) < 0;
        synchronized (this) {
            if (peerDials && !keepRegardless) {
                move(LinkState.PEER_DIALS, null);
            }
        }
        if (peerDials && !keepRegardless) {
            stream.close(ErrorCode.NORMAL, "the lower node address dials");
            keepRegardless = true;
            context.schedule(PEER_DIAL_WAIT.toMillis(), this::dialUnlessLinked);
            return;
        }
        stream.closed().whenComplete((reason, e) -> retry(reason == null ? "link closed" : "link closed: " + reason));
        stream.openChannel(ChannelType.LINK, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                if (context.links().adopt(channel, proven, Link.Direction.DIALED) != null) {
                    synchronized (LinkDialer.this) {
                        backoff.reset();
                        move(LinkState.UP, null);
                    }
                }
            }
        }).whenComplete((ch, e) -> {
            if (e != null) {
                stream.close(ErrorCode.LINK_REFUSED, "the member refused the LINK channel: " + describe(e));
            }
        });
    }

    /** After waiting for a lower-addressed peer: dial (and keep the link) unless the peer's link is up by now. */
    private void dialUnlessLinked() {
        Link link;
        synchronized (this) {
            link = peer == null ? null : context.links().to(peer);
        }
        if (link != null && link.up()) {
            keepRegardless = false; // the peer dials as it should; wait for it again should its link drop
            link.stream().closed().whenComplete((r, e) -> context.schedule(PEER_DIAL_WAIT.toMillis(), this::dialUnlessLinked));
            return;
        }
        if (link == null && peer != null && keepRegardless) {
            LOG.log(System.Logger.Level.WARNING, "member " + endpoint + " (" + peer + ") has the lower node address but did not dial within "
                    + PEER_DIAL_WAIT.toSeconds() + " s; dialling it instead (does its member list include this node?)");
        }
        dial();
    }

    private void retry(String problem) {
        long delay;
        synchronized (this) {
            if (stopped || state == LinkState.SELF || state == LinkState.PEER_DIALS) {
                return;
            }
            delay = backoff.next().toMillis();
            if (!problem.equals(lastProblem)) {
                LOG.log(System.Logger.Level.INFO, "member " + endpoint + (peer == null ? "" : " (" + peer + ")") + ": " + problem
                        + "; dialling again in " + delay + " ms");
            }
            move(LinkState.BACKING_OFF, problem);
        }
        context.schedule(delay, this::dial);
    }

    private void move(LinkState next, String problem) {
        if (next != state) {
            since = Instant.now();
        }
        state = next;
        lastProblem = problem;
    }

    private static String describe(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        String m = c.getMessage();
        return c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
