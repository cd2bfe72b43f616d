package org.dapstream.cluster;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The live links of this node, at most one per peer, and the listeners told of them.
 * Dialled and accepted links register here alike. When a second link to a peer comes up
 * (both ends dialled at once, or a peer came back before its old link timed out), one rule
 * keeps exactly one on both ends: the link dialled by the lower node address stays; between
 * two dialled by the same end, the newer one.
 */
public final class Links {
    private static final System.Logger LOG = System.getLogger(Links.class.getName());

    private final NodeAddress self;
    private final Map<NodeAddress, Link> byPeer = new ConcurrentHashMap<>();
    private final List<LinkListener> listeners = new CopyOnWriteArrayList<>();
    private volatile long linksUp;
    private volatile long linksDown;

    public Links(NodeAddress self) {
        this.self = self;
    }

    /** This node's address. */
    public NodeAddress self() {
        return self;
    }

    public void listen(LinkListener listener) {
        listeners.add(listener);
    }

    /** The live link to {@code peer}, or null. */
    public Link to(NodeAddress peer) {
        return byPeer.get(peer);
    }

    public Collection<Link> all() {
        return List.copyOf(byPeer.values());
    }

    public int size() {
        return byPeer.size();
    }

    /** Links that came up since start. */
    public long upCount() {
        return linksUp;
    }

    /** Links that went down since start. */
    public long downCount() {
        return linksDown;
    }

    /**
     * Makes an open LINK channel a link: installs the handler that feeds the listeners, and
     * settles a duplicate. Call on the channel's event loop.
     *
     * @return the link, or null when an existing link to that peer wins and this one is closed
     */
    Link adopt(Channel channel, NodeAddress peer, Link.Direction direction) {
        Link link = new Link(peer, channel, direction);
        Link loser;
        synchronized (this) {
            Link existing = byPeer.get(peer);
            if (existing != null && existing.up() && keeps(existing, link)) {
                loser = link;
            } else {
                byPeer.put(peer, link);
                loser = existing;
            }
        }
        if (loser == link) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + link + ": the existing link to that peer stays");
            link.stream().close(ErrorCode.NORMAL, "duplicate link; the one dialled by the lower node address stays");
            return null;
        }
        channel.handler(new LinkHandler(link));
        if (loser != null) {
            // What the peer told over the old link (its members) goes now: it tells it all again on this one.
            linksDown++;
            CloseReason replaced = CloseReason.of(ErrorCode.NORMAL, "replaced by a newer link");
            for (LinkListener l : listeners) {
                l.linkDown(loser, replaced);
            }
            loser.stream().close(ErrorCode.NORMAL, replaced.reason());
        }
        linksUp++;
        LOG.log(System.Logger.Level.INFO, "link up: " + link);
        for (LinkListener l : listeners) {
            l.linkUp(link);
        }
        return link;
    }

    /** Between two live links to one peer: true when {@code existing} stays. */
    private boolean keeps(Link existing, Link candidate) {
        NodeAddress a = existing.dialer(self);
        NodeAddress b = candidate.dialer(self);
        if (a.equals(b)) {
            return false; // same dialer: the newer link is the one that end still uses
        }
        return Long.compareUnsigned(a.value(), b.value()) < 0;
    }

    private void down(Link link, CloseReason reason) {
        if (!byPeer.remove(link.peer(), link)) {
            return; // replaced, or never adopted: the peer's state belongs to the link that won
        }
        linksDown++;
        LOG.log(System.Logger.Level.INFO, "link down: " + link + ": " + reason);
        for (LinkListener l : listeners) {
            l.linkDown(link, reason);
        }
    }

    /** Closes every link (node stopping). */
    public void closeAll(String reason) {
        for (Link l : all()) {
            l.stream().close(ErrorCode.GOING_AWAY, reason);
        }
    }

    /** Closes the link to {@code peer}, if any (discovery no longer lists it). */
    void close(NodeAddress peer, String reason) {
        Link l = byPeer.get(peer);
        if (l != null) {
            l.stream().close(ErrorCode.NORMAL, reason);
        }
    }

    private final class LinkHandler implements ChannelHandler {
        private final Link link;

        LinkHandler(Link link) {
            this.link = link;
        }

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            for (LinkListener l : listeners) {
                l.message(link, data.duplicate());
            }
        }

        @Override
        public void closed(Channel channel, CloseReason reason) {
            down(link, reason);
            link.stream().close(); // a link is its channel: the stream goes with it, and the dialler dials again
        }
    }
}
