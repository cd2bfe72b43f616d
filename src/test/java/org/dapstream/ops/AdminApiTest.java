package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Channel;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The admin API: credentials, listing and inspecting, closing a session, tracing, bad input. */
@QuarkusTest
public class AdminApiTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private Management mgmt;
    private StreamClient client;

    @BeforeEach
    void connect() {
        mgmt = new Management(management);
        client = new StreamClient(ClientOptions.defaults());
    }

    @AfterEach
    void disconnect() {
        mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "{\"enabled\": false}");
        client.close();
    }

    @Test
    void withoutCredentialsTheAnswerIs401WithAChallenge() {
        for (String path : new String[] {"/admin/node", "/admin/streams", "/admin/sessions/1", "/admin/openapi", "/admin/nothing-here"}) {
            Management.Answer a = mgmt.admin("GET", path, null, null);
            assertEquals(401, a.status(), path);
            assertEquals("Bearer realm=\"dap-stream-admin\"", a.raw().headers().firstValue("WWW-Authenticate").orElse(null), path);
            assertTrue(a.json().get("error").asText().contains("Authorization: Bearer"), a.body());
        }
        Management.Answer basic = mgmt.withAuthorization("/admin/node", "Basic dGVzdDp0ZXN0");
        assertEquals(401, basic.status());
        assertEquals("unsupported authorization scheme: the admin API takes 'Authorization: Bearer <token>'",
                basic.json().get("error").asText());
    }

    @Test
    void aWrongTokenIs403() {
        Management.Answer a = mgmt.admin("GET", "/admin/streams", "not-the-token", null);
        assertEquals(403, a.status());
        assertEquals("wrong admin token", a.json().get("error").asText());
        Management.Answer prefix = mgmt.admin("GET", "/admin/streams", Management.TOKEN + "x", null);
        assertEquals(403, prefix.status());
        Management.Answer delete = mgmt.admin("DELETE", "/admin/sessions/1", "not-the-token", null);
        assertEquals(403, delete.status(), "no operation runs on a wrong token, not even a 404 lookup");
    }

    @Test
    void healthAndMetricsNeedNoToken() {
        assertEquals(200, mgmt.get("/q/health/live").status());
        assertEquals(200, mgmt.get("/q/metrics").status());
    }

    @Test
    void streamsSessionsAndChannelsAreListedAndInspected() throws Exception {
        Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
        Channel echo = stream.openChannel(ChannelType.ECHO, null).get(10, TimeUnit.SECONDS);
        echo.write(org.dapstream.protocol.PacketType.DATA, new byte[100]);
        long sessionId = Integer.toUnsignedLong(stream.session().id());

        JsonNode node = ok(mgmt.admin("GET", "/admin/node"));
        assertFalse(node.get("draining").asBoolean());
        assertTrue(node.get("streams").asLong() >= 1);

        JsonNode sessions = ok(mgmt.admin("GET", "/admin/sessions"));
        JsonNode mine = find(sessions, "id", sessionId);
        assertNotNull(mine, "our session in " + sessions);
        assertEquals(1, mine.get("streams").size());
        int serverStreamId = mine.get("streams").get(0).asInt();

        JsonNode streams = ok(mgmt.admin("GET", "/admin/streams"));
        JsonNode listed = find(streams, "id", serverStreamId);
        assertNotNull(listed, "the session's stream in " + streams);
        assertEquals("acceptor", listed.get("role").asText());
        assertEquals(sessionId, listed.get("sessionId").asLong());
        assertFalse(listed.has("channels"), "lists leave the channels to the detail view");
        assertEquals(stream.suite().configName(), listed.get("suite").asText(), "both ends name the agreed suite");
        assertFalse(listed.has("peerSignature"), "the client was not asked to authenticate: " + listed);
        assertFalse(listed.get("acknowledged").asBoolean(), "the default client offers no acknowledgements: " + listed);
        assertEquals(0, listed.get("unacknowledgedBytes").asLong());

        JsonNode detail = awaitEcho(serverStreamId);
        assertEquals("active", detail.get("state").asText());
        JsonNode ch = detail.get("channels").get(0);
        assertEquals(echo.id(), ch.get("id").asInt());
        assertEquals("ECHO", ch.get("typeTag").asText());
        assertEquals(100, ch.get("bytesReceived").asLong());
        assertEquals(100, ch.get("bytesSent").asLong(), "the echo went back");
        assertTrue(detail.get("stats").get("packetsReceived").asLong() >= 3, "HELLO, OPEN_CHANNEL, DATA");

        JsonNode sessionDetail = ok(mgmt.admin("GET", "/admin/sessions/" + sessionId));
        assertEquals(1, sessionDetail.get("channels").size());

        JsonNode channels = ok(mgmt.admin("GET", "/admin/channels"));
        List<JsonNode> ours = new ArrayList<>();
        channels.forEach(c -> {
            if (c.get("stream").asInt() == serverStreamId) {
                ours.add(c);
            }
        });
        assertEquals(1, ours.size(), channels.toString());
        stream.close();
        stream.closed().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aNodeAloneServesNamedClustersAndShowsThem() throws Exception {
        Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
        AtomicLong received = new AtomicLong();
        ClusterChannel members = ClusterChannel.open(stream, (cluster, origin, publisher, seq, payload, balanced) -> received.incrementAndGet())
                .get(10, TimeUnit.SECONDS);
        assertEquals(1, members.join("admin-news").get(10, TimeUnit.SECONDS).members());
        members.publish("admin-news", new byte[] {1});
        for (int i = 0; i < 100 && received.get() == 0; i++) {
            Thread.sleep(20);
        }
        assertEquals(1, received.get(), "a publisher that is a member gets its own broadcast");
        JsonNode cluster = mgmt.admin("GET", "/admin/cluster").json();
        assertEquals("alone", cluster.get("discovery").get("mode").asText(), cluster.toString());
        assertEquals(0, cluster.get("members").size());
        assertEquals(0, cluster.get("links").size());
        JsonNode news = null;
        for (JsonNode c : cluster.get("clusters")) {
            if (c.get("name").asText().equals("admin-news")) {
                news = c;
            }
        }
        assertNotNull(news, cluster.toString());
        assertEquals(1, news.get("members").asInt());
        assertEquals(1, news.get("localMembers").asInt());
        assertEquals("round-robin", news.get("balancer").asText());
        assertTrue(cluster.get("deliveries").asLong() >= 1, cluster.toString());
        stream.close();
    }

    @Test
    void closingASessionEndsItsStreams() throws Exception {
        Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
        long sessionId = Integer.toUnsignedLong(stream.session().id());
        Management.Answer closing = mgmt.admin("DELETE", "/admin/sessions/" + sessionId);
        assertEquals(202, closing.status(), closing.body());
        assertEquals(sessionId, closing.json().get("session").asLong());
        assertEquals(1, closing.json().get("closingStreams").size());
        CloseReason reason = stream.closed().get(10, TimeUnit.SECONDS);
        assertEquals(ErrorCode.NORMAL.code(), reason.code(), "an orderly CLOSE from the node: " + reason);
        assertEquals(404, mgmt.admin("GET", "/admin/sessions/" + sessionId).status(), "the session is gone");
    }

    @Test
    void tracingIsSwitchedAtRunTime() {
        assertFalse(ok(mgmt.admin("GET", "/admin/trace")).get("enabled").asBoolean());
        assertTrue(ok(mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "{\"enabled\": true}")).get("enabled").asBoolean());
        assertTrue(ok(mgmt.admin("GET", "/admin/trace")).get("enabled").asBoolean());
        assertTrue(ok(mgmt.admin("GET", "/admin/node")).get("trace").asBoolean());
        assertFalse(ok(mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "{\"enabled\": false}")).get("enabled").asBoolean());
        assertFalse(ok(mgmt.admin("GET", "/admin/trace")).get("enabled").asBoolean());
    }

    @Test
    void badParametersAreRefusedWithWhatIsWrong() {
        assertError(mgmt.admin("GET", "/admin/streams/abc"), 400, "stream id must be a positive decimal integer, got 'abc'");
        assertError(mgmt.admin("GET", "/admin/streams/-4"), 400, "stream id must be a positive decimal integer, got '-4'");
        assertError(mgmt.admin("GET", "/admin/streams/2147483647"), 404, "no live stream 2147483647");
        assertError(mgmt.admin("GET", "/admin/sessions/x1"), 400, "session id must be a decimal integer from 1 to 4294967295, got 'x1'");
        assertError(mgmt.admin("DELETE", "/admin/sessions/4294967296"), 400,
                "session id must be a decimal integer from 1 to 4294967295, got '4294967296'");
        assertError(mgmt.admin("DELETE", "/admin/sessions/0"), 400, "session id must be a decimal integer from 1 to 4294967295, got '0'");
        Management.Answer unknown = mgmt.admin("DELETE", "/admin/sessions/12345");
        if (unknown.status() != 202) { // 1 in 2^32 that a live session has this id
            assertError(unknown, 404, "no session 12345");
        }
        assertError(mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "{\"enabled\": \"yes\"}"), 400,
                "body must be a JSON object {\"enabled\": true|false}, got {\"enabled\":\"yes\"}");
        assertError(mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "not json"), 400, "body must be a JSON object {\"enabled\": true|false}");
        assertError(mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "[true]"), 400, "body must be a JSON object {\"enabled\": true|false}");
        assertError(mgmt.admin("POST", "/admin/streams"), 404, "no admin operation POST /admin/streams; see GET /admin/openapi");
        assertError(mgmt.admin("GET", "/admin/clusters"), 404, "no admin operation GET /admin/clusters; see GET /admin/openapi");
    }

    private JsonNode awaitEcho(int streamId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            JsonNode detail = ok(mgmt.admin("GET", "/admin/streams/" + streamId));
            JsonNode chs = detail.get("channels");
            if ((chs.size() == 1 && chs.get(0).get("bytesSent").asLong() == 100) || System.nanoTime() > deadline) {
                return detail;
            }
            Thread.sleep(20);
        }
    }

    private static JsonNode ok(Management.Answer a) {
        assertEquals(200, a.status(), a.body());
        assertEquals("application/json", a.raw().headers().firstValue("Content-Type").orElse(null));
        return a.json();
    }

    private static void assertError(Management.Answer a, int status, String message) {
        assertEquals(status, a.status(), a.body());
        assertEquals(message, a.json().get("error").asText());
    }

    private static JsonNode find(JsonNode array, String field, long value) {
        for (JsonNode n : array) {
            if (n.get(field).asLong() == value) {
                return n;
            }
        }
        return null;
    }
}
