package org.dapstream.protocol;

import java.util.List;
import java.util.Objects;

/**
 * What a member hands over when a session moves to another member of the cluster
 * (PROTOCOL.md section 33): the session, the identity its peer proved, and each carried
 * channel with what the owner delivered of it and the messages it wrote that the peer has not
 * acknowledged. {@link SessionStateCodec} has the byte layout.
 *
 * @param sessionId       the session's id (kept: the peer knows the session by it)
 * @param peerNode        the node address the peer claimed in its full handshake
 * @param createdMillis   when the session began, epoch milliseconds
 * @param ticketCounter   the number of the last ticket issued: the next owner counts on from it
 * @param peerAlgorithm   the wire id of the peer's signature algorithm; 0 when it did not authenticate
 * @param peerKey         the peer's public key (empty when it did not authenticate)
 * @param peerEndorsement the cluster's endorsement of that key, or empty
 * @param channels        the carried channels, in the order they were open
 */
public record SessionState(int sessionId, NodeAddress peerNode, long createdMillis, long ticketCounter, int peerAlgorithm,
                           byte[] peerKey, byte[] peerEndorsement, List<ChannelState> channels) {
    public SessionState {
        Objects.requireNonNull(peerNode, "peerNode");
        peerKey = peerKey == null ? new byte[0] : peerKey;
        peerEndorsement = peerEndorsement == null ? new byte[0] : peerEndorsement;
        channels = List.copyOf(channels);
    }

    /**
     * One carried channel.
     *
     * @param channelId    its id (1..65535)
     * @param type         its type
     * @param compression  compression was agreed when it opened
     * @param delivered    messages of the peer's the owner delivered to its handler: the peer sends again what follows
     * @param acknowledged messages of the owner's the peer acknowledged: {@code messages} are numbers acknowledged+1 onwards
     * @param messages     the owner's messages the peer has not acknowledged, oldest first
     */
    public record ChannelState(int channelId, ChannelType type, boolean compression, long delivered, long acknowledged,
                               List<Message> messages) {
        public ChannelState {
            messages = List.copyOf(messages);
        }
    }

    /** One kept message: its packet type and bytes (as the application wrote them). */
    public record Message(PacketType type, byte[] data) {
    }
}
