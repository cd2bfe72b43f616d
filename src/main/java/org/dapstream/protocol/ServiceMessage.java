package org.dapstream.protocol;

import java.util.List;

/**
 * The messages of a SERVICE channel, HTTP over a stream (PROTOCOL.md section 31); layouts in
 * {@link ServiceCodec}. Many requests run at once on one channel, each named by the request id
 * the client chose for it. Text fields carry bytes as ISO-8859-1 characters (one character per
 * byte), so nothing is lost or replaced on the way.
 */
public sealed interface ServiceMessage {
    int KIND_REQUEST = 0x01;
    int KIND_RESPONSE = 0x02;
    int KIND_BODY = 0x03;
    int KIND_END = 0x04;
    int KIND_RESET = 0x05;

    /** REQUEST and RESPONSE flag: no body follows, the head is also the end of its direction. */
    int FLAG_END = 0x01;

    /** The request this message belongs to. */
    int request();

    /** One header field: name and value as sent. */
    record Header(String name, String value) {
    }

    /**
     * The client starts request {@code request}: its method, the upstream it is for
     * ({@code authority}, a name on the node's allow-list; {@code node} is the node's own HTTP
     * routes), its target (path and query) and header fields. {@code end}: no body follows.
     */
    record Request(int request, boolean end, String method, String authority, String target, List<Header> headers)
            implements ServiceMessage {
        public Request {
            headers = List.copyOf(headers);
        }
    }

    /** The node's answer to {@code request}: status and header fields. {@code end}: no body follows. */
    record Response(int request, boolean end, int status, List<Header> headers) implements ServiceMessage {
        public Response {
            headers = List.copyOf(headers);
        }
    }

    /** The next bytes of a request's or a response's body, in the direction of the head before it. */
    record Body(int request, byte[] data) implements ServiceMessage {
    }

    /** The body in this direction is complete (no trailers). */
    record End(int request) implements ServiceMessage {
    }

    /**
     * The request ends without a (complete) response: {@code code} is an {@link ErrorCode} value.
     * From the node: refused or failed; from the client: given up. The channel goes on.
     */
    record Reset(int request, int code, String reason) implements ServiceMessage {
    }
}
