package org.dapstream.stream;

import org.dapstream.compress.AdaptiveCompression;

import java.util.ArrayDeque;

/**
 * One channel's sending side: the messages it accepted and has not sent yet (waiting for
 * credit, a rate limit or the socket), its place in the stream's round robin, its rate
 * limit and compressor, and whether its writer was told to wait. Event-loop confined.
 */
final class SendQueue {
    /** Messages waiting, oldest first. */
    final ArrayDeque<OutboundMessage> outbound = new ArrayDeque<>();
    /** Message bytes in {@link #outbound} not yet sent. */
    long queuedBytes;
    /** Largest write that may skip the queue (no credit or order to wait for); -1 under a rate limit. */
    int directLimit = OutboundMessage.FRAGMENT_DATA;
    /** In the stream's round robin of channels with something to send. */
    boolean inRing;
    /** Out of the round robin until its rate-limit timer fires. */
    boolean rateWaiting;
    /** Null: no per-channel rate limit. */
    TokenBucket rate;
    /** close() was called with messages still queued: CLOSE goes once they have. */
    boolean closeAfterDrain;
    /** The writer was told to wait (write returned false): readyToWrite is owed. */
    boolean writeBlocked;
    /** MEDIA messages dropped from the queue for fresher ones (read off the loop by monitoring). */
    volatile long mediaDropped;
    /** This side's compressor; null when it does not compress on this channel. */
    AdaptiveCompression compressor;
    /** Payloads shorter than this are never offered to the compressor (its policy's minSize); MAX_VALUE without one. */
    int compressMin = Integer.MAX_VALUE;

    boolean isEmpty() {
        return outbound.isEmpty();
    }
}
