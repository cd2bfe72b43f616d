package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;

import java.time.Instant;

/**
 * One member node as this node sees it, for the admin API, metrics and logs.
 *
 * @param endpoint  its cluster endpoint
 * @param name      discovery's name for it
 * @param state     what discovery says: ready or draining
 * @param node      its proven node address, null until a link's handshake proved it
 * @param link      where this node stands with its link
 * @param problem   why the link is not up (the last dial's failure), or null
 * @param since     when {@code link} last changed
 * @param attempts  dials since start
 */
public record MemberView(MemberEndpoint endpoint, String name, MemberState state, NodeAddress node, LinkState link,
                         String problem, Instant since, long attempts) {
}
