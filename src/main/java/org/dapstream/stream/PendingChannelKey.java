package org.dapstream.stream;

import org.dapstream.crypto.SessionSecrets;

import java.util.concurrent.CompletableFuture;

/** Our CHANNEL_KEY in flight on one channel: the keys it proposes, and who waits for the answer. */
record PendingChannelKey(int generation, SessionSecrets.ChannelSecrets secrets, CompletableFuture<Void> result) {
}
