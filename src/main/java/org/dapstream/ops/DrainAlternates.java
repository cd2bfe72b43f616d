package org.dapstream.ops;

import org.dapstream.stream.Stream;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The member each stream of a draining node is sent to (its GOAWAY's alternate): the ready
 * member with the fewest sessions, counting those already sent there, so a drained node's
 * sessions spread over the others instead of all landing on the least loaded one.
 * Thread-safe.
 */
final class DrainAlternates implements Function<Stream, String> {
    private final Map<String, Long> load;

    /** @param ready each ready member's client endpoint ({@code host:port}) and its sessions now */
    DrainAlternates(Map<String, Long> ready) {
        this.load = new HashMap<>(ready);
    }

    @Override
    public synchronized String apply(Stream stream) {
        String best = "";
        long least = Long.MAX_VALUE;
        for (Map.Entry<String, Long> e : load.entrySet()) {
            // ties go to the smaller endpoint, so the choice does not depend on the map's order
            if (e.getValue() < least || (e.getValue() == least && e.getKey().compareTo(best) < 0)) {
                best = e.getKey();
                least = e.getValue();
            }
        }
        if (!best.isEmpty()) {
            load.merge(best, 1L, Long::sum);
        }
        return best;
    }
}
