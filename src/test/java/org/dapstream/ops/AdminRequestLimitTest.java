package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The admin API reads at most 4096 bytes of body, refusing a larger one with 413 before it is
 * read, and takes ids as plain decimal digits only. Over raw HTTP/1.1 sockets, so a body can be
 * announced without being sent, or sent in chunks.
 */
@QuarkusTest
public class AdminRequestLimitTest {
    private static final int SIX_MB = 6 * 1024 * 1024;
    private static final String LIMIT_MESSAGE =
            "request body larger than 4096 bytes; admin requests take at most 4096 bytes of JSON";

    @TestHTTPResource(value = "/", management = true)
    URL management;

    @AfterEach
    void traceOff() {
        new Management(management).admin("PUT", "/admin/trace", Management.TOKEN, "{\"enabled\": false}");
    }

    @Test
    void anAnnouncedOversizedBodyIs413BeforeItIsSent() throws IOException {
        for (String token : new String[] {Management.TOKEN, null}) {
            try (Socket s = open()) {
                // Only the head: the answer must come without the server waiting for 6 MB.
                s.getOutputStream().write(head("PUT", "/admin/trace", token, "Content-Length: " + SIX_MB));
                Reply r = Reply.read(s.getInputStream());
                assertEquals(413, r.status, r.toString());
                assertTrue(r.body.contains(LIMIT_MESSAGE), r.toString());
                assertTrue(r.head.toLowerCase().contains("connection: close"), r.toString());
            }
        }
    }

    @Test
    void aChunkedOversizedBodyIs413AndNotParsed() throws Exception {
        try (Socket s = open()) {
            OutputStream out = s.getOutputStream();
            out.write(head("PUT", "/admin/trace", Management.TOKEN, "Transfer-Encoding: chunked"));
            // Valid JSON that would switch tracing on if it were parsed.
            byte[] json = ("{\"enabled\": true, \"pad\": \"" + "a".repeat(SIX_MB) + "\"}").getBytes(StandardCharsets.US_ASCII);
            Thread writer = new Thread(() -> {
                try {
                    for (int off = 0; off < json.length; off += 65_536) {
                        int n = Math.min(65_536, json.length - off);
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(json, off, n);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closedByServer) {
                    // expected: the server closes after its 413
                }
            }, "chunked-writer");
            writer.setDaemon(true);
            writer.start();
            Reply r = Reply.read(s.getInputStream());
            assertEquals(413, r.status, r.toString());
            assertTrue(r.body.contains(LIMIT_MESSAGE), r.toString());
            writer.join(10_000);
        }
        Management mgmt = new Management(management);
        assertEquals("false", mgmt.admin("GET", "/admin/trace").json().get("enabled").asText(), "the oversized body was not applied");
    }

    @Test
    void aBodyAtTheLimitIsRead() {
        String prefix = "{\"enabled\": false, \"pad\": \"";
        String body = prefix + "a".repeat(4096 - prefix.length() - 2) + "\"}";
        assertEquals(4096, body.length());
        Management.Answer a = new Management(management).admin("PUT", "/admin/trace", Management.TOKEN, body);
        assertEquals(200, a.status(), a.body());
        Management.Answer over = new Management(management).admin("PUT", "/admin/trace", Management.TOKEN, body + " ");
        assertEquals(413, over.status(), over.body());
        assertEquals(LIMIT_MESSAGE, over.json().get("error").asText());
    }

    @Test
    void idsArePlainDecimalDigits() {
        Management mgmt = new Management(management);
        // %D9%A7 is ARABIC-INDIC DIGIT SEVEN, a digit to Integer.parseInt; %20 a space.
        for (String raw : new String[] {"+7", "%2B7", "-0", "%D9%A7", "7%20", "0x7", "7.0", "1e3"}) {
            Management.Answer stream = mgmt.admin("GET", "/admin/streams/" + raw);
            assertEquals(400, stream.status(), raw + ": " + stream.body());
            assertTrue(stream.json().get("error").asText().startsWith("stream id must be a positive decimal integer, got '"), stream.body());
            for (String method : new String[] {"GET", "DELETE"}) {
                Management.Answer session = mgmt.admin(method, "/admin/sessions/" + raw);
                assertEquals(400, session.status(), method + " " + raw + ": " + session.body());
                assertTrue(session.json().get("error").asText().startsWith("session id must be a decimal integer from 1 to 4294967295, got '"),
                        session.body());
            }
        }
        assertEquals(404, mgmt.admin("GET", "/admin/streams/2147483646").status(), "digits are still ids");
        assertEquals(400, mgmt.admin("GET", "/admin/streams/2147483648").status(), "past the int range");
        assertEquals(400, mgmt.admin("GET", "/admin/streams/99999999999").status(), "more digits than any id");
    }

    private Socket open() throws IOException {
        Socket s = new Socket("127.0.0.1", new Management(management).base().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] head(String method, String path, String token, String bodyHeader) {
        String h = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + bodyHeader + "\r\n\r\n";
        return h.getBytes(StandardCharsets.US_ASCII);
    }

    /** One HTTP/1.1 answer with a Content-Length body. */
    record Reply(int status, String head, String body) {
        static Reply read(InputStream in) throws IOException {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            int end = -1;
            byte[] chunk = new byte[4096];
            while (end < 0) {
                int n = in.read(chunk);
                if (n < 0) {
                    throw new IOException("connection closed before an answer's head: " + buf);
                }
                buf.write(chunk, 0, n);
                end = buf.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
            }
            byte[] all = buf.toByteArray();
            String head = new String(all, 0, end, StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(all, end + 4, all.length - end - 4);
            while (body.size() < length) {
                int n = in.read(chunk);
                if (n < 0) {
                    break;
                }
                body.write(chunk, 0, n);
            }
            byte[] b = Arrays.copyOf(body.toByteArray(), Math.min(body.size(), length));
            return new Reply(Integer.parseInt(head.substring(9, 12)), head, new String(b, StandardCharsets.UTF_8));
        }
    }
}
