package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;

/**
 * A member of a named cluster: a session, wherever in the node cluster it is connected.
 *
 * @param node    the member's own node address (the client's, as its stream proved or claimed it)
 * @param session its session id at the node that holds it
 * @param at      the node that holds the session
 * @param local   true when {@code at} is this node
 */
public record ClusterMember(NodeAddress node, int session, NodeAddress at, boolean local) {
}
