package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;

import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Which handler serves channels of each type that a peer opens. Thread-safe. */
public final class ChannelRegistry {
    private final Map<Integer, ChannelHandler> handlers = new ConcurrentHashMap<>();

    /** Serves {@code type} with {@code handler}; refuses a second handler for one type. */
    public ChannelRegistry register(ChannelType type, ChannelHandler handler) {
        if (type.reserved()) {
            throw new IllegalArgumentException("channel type " + type + " is reserved for future protocol versions");
        }
        ChannelHandler previous = handlers.putIfAbsent(type.code(), handler);
        if (previous != null && previous != handler) {
            throw new IllegalStateException("channel type " + type + " is already served by " + previous.getClass().getName());
        }
        return this;
    }

    public ChannelRegistry register(ChannelService service) {
        return register(service.type(), service);
    }

    public void unregister(ChannelType type) {
        handlers.remove(type.code());
    }

    /** The handler for {@code type}, or null when no one serves it. */
    public ChannelHandler handler(ChannelType type) {
        return handlers.get(type.code());
    }

    /** Every type served and its handler, in ascending type code; a snapshot, not a live view. */
    public Map<ChannelType, ChannelHandler> registered() {
        Map<ChannelType, ChannelHandler> snapshot = new TreeMap<>(Comparator.comparingInt(ChannelType::code));
        handlers.forEach((code, handler) -> snapshot.put(new ChannelType(code), handler));
        return Collections.unmodifiableMap(snapshot);
    }

    /** A registry with the diagnostic echo and discard services. */
    public static ChannelRegistry withDiagnostics() {
        return new ChannelRegistry().register(new EchoService()).register(new DiscardService());
    }
}
