package org.dapstream.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The allow-list: names only, `node` reserved, upstreams as bare http(s) origins; and the limits' bounds. */
class ServiceUpstreamsTest {
    static final URI NODE = URI.create("http://127.0.0.1:8080");

    @Test
    void namesResolveCaseInsensitivelyAndNothingElseDoes() {
        ServiceUpstreams u = new ServiceUpstreams(() -> NODE, ServiceUpstreams.parse(List.of("billing=http://billing.internal:8080",
                " Search = https://search:9200/")));
        assertEquals(NODE, u.resolve("node"));
        assertEquals(NODE, u.resolve("NODE"));
        assertEquals(URI.create("http://billing.internal:8080"), u.resolve("Billing"));
        assertEquals(URI.create("https://search:9200/"), u.resolve("search"));
        assertNull(u.resolve("billing.internal:8080"), "a host is not a name");
        assertNull(u.resolve("127.0.0.1"));
        assertNull(u.resolve("evil.example"));
        assertEquals(List.of("billing", "search"), u.names());
    }

    @Test
    void badEntriesAreRefusedWithWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceUpstreams.parse(List.of("billing")))
                .getMessage().contains("name=http://host:port"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceUpstreams.parse(List.of("a=http://x:1", "A=http://y:1")))
                .getMessage().contains("named twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceUpstreams.parse(List.of("node=http://x:1")))
                .getMessage().contains("reserved"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceUpstreams.parse(List.of("a b=http://x:1")))
                .getMessage().contains("letters, digits"));
        for (String url : List.of("ftp://x:1", "http://x:1/path", "http://x:1/?q=1", "x:1")) {
            assertThrows(IllegalArgumentException.class, () -> new ServiceUpstreams(() -> NODE, Map.of("a", URI.create(url))), url);
        }
    }

    @Test
    void limitsAreChecked() {
        assertEquals(64, ServiceLimits.defaults().maxRequestsPerChannel());
        assertThrows(IllegalArgumentException.class, () -> new ServiceLimits(0, 16384, Duration.ofSeconds(1), Duration.ofSeconds(1), 1));
        assertThrows(IllegalArgumentException.class, () -> new ServiceLimits(1, 65537, Duration.ofSeconds(1), Duration.ofSeconds(1), 1));
        assertThrows(IllegalArgumentException.class, () -> new ServiceLimits(1, 16384, Duration.ZERO, Duration.ofSeconds(1), 1));
        assertThrows(IllegalArgumentException.class, () -> new ServiceLimits(1, 16384, Duration.ofSeconds(1), Duration.ofSeconds(1), 0));
    }
}
