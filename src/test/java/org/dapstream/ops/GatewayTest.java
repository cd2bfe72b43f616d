package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.gateway.GatewayRoutes;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The REST gateway on the real HTTP port with real clients: the JDK's HTTP client for the
 * REST calls and the event stream, and a real secure stream client on a CLUSTER channel, so a
 * message published over HTTP reaches a protocol member and one published by that member
 * reaches the HTTP subscriber.
 */
@QuarkusTest
public class GatewayTest {
    static final String TOKEN = "test-gateway-token";
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL http;
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private final HttpClient httpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    private final List<EventStream> streams = new ArrayList<>();
    private StreamClient client;

    @BeforeEach
    void start() {
        client = new StreamClient(ClientOptions.defaults());
    }

    @AfterEach
    void stop() {
        streams.forEach(EventStream::close);
        client.close();
    }

    record Answer(int status, String body, HttpResponse<String> raw) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private Answer call(String method, String path, String token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(http.toString()).resolve(path)).timeout(TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = httpClient.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r);
    }

    /** An open event stream: its lines, read on a thread of their own. */
    final class EventStream {
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final InputStream body;
        /** Counted down when the reader may start: a test holds it to make a subscriber that does not read. */
        final CountDownLatch reading;

        EventStream(String path) throws Exception {
            this(path, true);
        }

        EventStream(String path, boolean readAtOnce) throws Exception {
            reading = new CountDownLatch(readAtOnce ? 0 : 1);
            HttpRequest request = HttpRequest.newBuilder(URI.create(http.toString()).resolve(path))
                    .header("Authorization", "Bearer " + TOKEN).header("Accept", "text/event-stream").build();
            HttpResponse<InputStream> r = httpClient.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode(), path);
            assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
            body = r.body();
            Thread reader = new Thread(() -> {
                try {
                    reading.await();
                    StringBuilder line = new StringBuilder();
                    int c;
                    while ((c = body.read()) >= 0) {
                        if (c == '\n') {
                            lines.add(line.toString());
                            line.setLength(0);
                        } else {
                            line.append((char) c);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the test
                }
            }, "event-stream " + path);
            reader.setDaemon(true);
            reader.start();
            streams.add(this);
        }

        /** The data of the next event named {@code event} (others are skipped). */
        JsonNode next(String event) throws Exception {
            String name = null;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line == null) {
                    continue;
                }
                if (line.startsWith("event: ")) {
                    name = line.substring("event: ".length());
                } else if (line.startsWith("data: ") && event.equals(name)) {
                    return JSON.readTree(line.substring("data: ".length()));
                }
            }
            throw new AssertionError("no '" + event + "' event within " + TIMEOUT);
        }

        void close() {
            try {
                body.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    @Test
    void everyOperationNeedsTheToken() throws Exception {
        for (String path : new String[] {"/gateway/clusters", "/gateway/openapi", "/gateway/clusters/x/events", "/gateway/nothing"}) {
            Answer none = call("GET", path, null, null);
            assertEquals(401, none.status(), path);
            assertEquals("Bearer realm=\"dap-stream-gateway\"", none.raw().headers().firstValue("WWW-Authenticate").orElse(null));
            assertEquals("missing credentials: send 'Authorization: Bearer <token>' with the token of dap.stream.gateway.token",
                    none.json().get("error").asText());
            Answer wrong = call("GET", path, "not-the-token", null);
            assertEquals(403, wrong.status(), path);
            assertEquals("wrong gateway token", wrong.json().get("error").asText());
        }
        assertEquals(401, call("POST", "/gateway/clusters/x/publish", null, "m".getBytes(StandardCharsets.UTF_8)).status());
    }

    @Test
    void theOpenApiDocumentListsEveryOperation() throws Exception {
        Answer a = call("GET", "/gateway/openapi", TOKEN, null);
        assertEquals(200, a.status());
        JsonNode paths = a.json().get("paths");
        int listed = 0;
        for (var path : (Iterable<String>) paths::fieldNames) {
            listed += paths.get(path).size();
        }
        for (GatewayRoutes.Operation op : GatewayRoutes.OPERATIONS) {
            assertNotNull(paths.path(op.path()).get(op.method().name().toLowerCase(Locale.ROOT)), "documented: " + op);
        }
        assertEquals(GatewayRoutes.OPERATIONS.size(), listed, "the document lists no operation that is not served");
    }

    @Test
    @Timeout(60)
    void aPublishOverHttpReachesAProtocolMemberAndTheEventStreamAndBack() throws Exception {
        String name = "gw-prices";
        EventStream events = new EventStream("/gateway/clusters/" + name + "/events?format=text");
        JsonNode joined = events.next("joined");
        assertEquals(name, joined.get("cluster").asText());

        LinkedBlockingQueue<String> atMember = new LinkedBlockingQueue<>();
        Stream stream = client.connect("127.0.0.1", new Management(management).streamPort()).get(10, TimeUnit.SECONDS);
        ClusterChannel member = ClusterChannel.open(stream, (cluster, origin, publisher, seq, payload, balanced) ->
                atMember.add(cluster + "|" + publisher + "|" + StandardCharsets.UTF_8.decode(payload))).get(10, TimeUnit.SECONDS);
        assertEquals(2, member.join(name).get(10, TimeUnit.SECONDS).members(), "the HTTP subscriber and this member");

        Answer published = call("POST", "/gateway/clusters/" + name + "/publish", TOKEN, "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals(202, published.status(), published.body());
        assertEquals(2, published.json().get("members").asInt());
        assertEquals(name + "|0|hello", atMember.poll(10, TimeUnit.SECONDS), "the protocol member got it, from the node's publisher 0");
        JsonNode message = events.next("message");
        assertEquals("hello", message.get("text").asText());
        assertEquals(0, message.get("publisher").asInt());
        assertFalse(message.get("balanced").asBoolean());
        NodeAddress.parse(message.get("origin").asText()); // a node address

        assertTrue(member.publish(name, "from the stream".getBytes(StandardCharsets.UTF_8)));
        JsonNode fromMember = events.next("message");
        assertEquals("from the stream", fromMember.get("text").asText());
        assertTrue(fromMember.get("publisher").asLong() != 0, "published by the member's session, not the node");
    }

    @Test
    @Timeout(60)
    void aBalancedSendReachesOneMemberAndBinaryPayloadsGoAsBase64() throws Exception {
        String name = "gw-solo";
        EventStream events = new EventStream("/gateway/clusters/" + name + "/events");
        events.next("joined");
        byte[] binary = {0, (byte) 0xFF, 0x10, (byte) 0x80};
        Answer sent = call("POST", "/gateway/clusters/" + name + "/send?key=k1", TOKEN, binary);
        assertEquals(202, sent.status(), sent.body());
        JsonNode message = events.next("message");
        assertTrue(message.get("balanced").asBoolean());
        assertEquals(Base64.getEncoder().encodeToString(binary), message.get("payload").asText());

        Answer listed = call("GET", "/gateway/clusters", TOKEN, null);
        assertEquals(200, listed.status());
        boolean found = false;
        for (JsonNode c : listed.json()) {
            if (c.get("name").asText().equals(name)) {
                found = true;
                assertEquals(1, c.get("localMembers").asInt());
            }
        }
        assertTrue(found, "listed: " + listed.body());
    }

    @Test
    void badRequestsGetSpecificAnswers() throws Exception {
        Answer unknown = call("POST", "/gateway/clusters/gw-nobody-here/publish", TOKEN, "m".getBytes(StandardCharsets.UTF_8));
        assertEquals(404, unknown.status());
        assertTrue(unknown.json().get("error").asText().startsWith("no cluster 'gw-nobody-here' on this node"), unknown.body());

        String longName = URLEncoder.encode("n".repeat(256), StandardCharsets.UTF_8);
        Answer tooLong = call("POST", "/gateway/clusters/" + longName + "/publish", TOKEN, new byte[1]);
        assertEquals(400, tooLong.status());
        assertEquals("a cluster name is 1..255 bytes of UTF-8, this one 256", tooLong.json().get("error").asText());

        Answer tooBig = call("POST", "/gateway/clusters/gw-prices/publish", TOKEN, new byte[65537]);
        assertEquals(413, tooBig.status());
        assertTrue(tooBig.json().get("error").asText().startsWith(
                "a message body is at most 65536 bytes (dap.stream.gateway.max-message-bytes), this one 65537"), tooBig.body());

        Answer format = call("GET", "/gateway/clusters/gw-x/events?format=hex", TOKEN, null);
        assertEquals(400, format.status());
        assertEquals("format is 'base64' (the default) or 'text' (UTF-8 payloads as text), not 'hex'", format.json().get("error").asText());

        Answer nothing = call("DELETE", "/gateway/clusters", TOKEN, null);
        assertEquals(404, nothing.status());
        assertTrue(nothing.json().get("error").asText().startsWith("no gateway operation DELETE /gateway/clusters"));
    }

    /**
     * A subscriber that does not read: what it cannot take is missed and counted, never queued
     * without bound; once it reads, a gap event says how many, and every message is either
     * delivered or counted in a gap.
     */
    @Test
    @Timeout(120)
    void aSubscriberThatDoesNotReadIsToldWhatItMissed() throws Exception {
        String name = "gw-slow";
        int messages = 300;
        EventStream events = new EventStream("/gateway/clusters/" + name + "/events", false);
        byte[] big = new byte[60 * 1024];
        for (int i = 0; i < messages; i++) {
            Answer a = call("POST", "/gateway/clusters/" + name + "/publish", TOKEN, big);
            assertEquals(202, a.status(), a.body());
        }
        events.reading.countDown();
        long delivered = 0;
        long missed = 0;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String event = null;
        while (delivered + missed < messages && System.nanoTime() < deadline) {
            String line = events.lines.poll(100, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            if (line.startsWith("event: ")) {
                event = line.substring("event: ".length());
            } else if (line.startsWith("data: ") && "message".equals(event)) {
                delivered++;
            } else if (line.startsWith("data: ") && "gap".equals(event)) {
                missed += JSON.readTree(line.substring("data: ".length())).get("missed").asLong();
            }
        }
        assertTrue(missed > 0, "a subscriber that read nothing while " + messages + " x 60 KiB went by missed some: delivered "
                + delivered + ", missed " + missed);
        assertEquals(messages, delivered + missed, "every message delivered or counted in a gap: delivered " + delivered
                + ", missed " + missed);
    }

    /** A subscriber that goes away leaves the cluster: a send then finds no member. */
    @Test
    @Timeout(60)
    void aSubscriberThatLeavesIsNoLongerAMember() throws Exception {
        String name = "gw-leaving";
        EventStream events = new EventStream("/gateway/clusters/" + name + "/events");
        events.next("joined");
        assertEquals(202, call("POST", "/gateway/clusters/" + name + "/send", TOKEN, new byte[] {1}).status());
        events.close();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        int status = 202;
        while (System.nanoTime() < deadline && status == 202) {
            status = call("POST", "/gateway/clusters/" + name + "/send", TOKEN, new byte[] {1}).status();
            Thread.sleep(50);
        }
        assertTrue(status == 404 || status == 409, "after the subscriber left: no such cluster (retired) or no member, got " + status);
    }
}
