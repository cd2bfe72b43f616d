package org.dapstream.cli;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;

import java.net.ConnectException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** What the tools that talk to a node ({@code ping}, {@code channel}) say about the connection. */
final class NodeContact {
    private NodeContact() {
    }

    /**
     * A tool's output is its own lines: the client library's INFO logging (engine choices,
     * stream life cycle) would interleave with them, so only warnings and errors are shown.
     */
    static void quietLogging() {
        Logger.getLogger("").setLevel(Level.WARNING);
    }

    /** E.g. {@code node 0x1234::..., AES-256-GCM, peer signature ml-dsa-65} or {@code node ..., plaintext}. */
    static String describe(Stream stream) {
        StringBuilder b = new StringBuilder("node ").append(stream.node());
        if (stream.suite() == null) {
            b.append(", plaintext (not encrypted, peer not authenticated)");
        } else {
            b.append(", suite ").append(stream.suite().configName());
            b.append(", peer signature ").append(stream.peerSignatureAlgorithm() == null ? "none" : stream.peerSignatureAlgorithm().configName());
        }
        return b.toString();
    }

    /** Why connecting to {@code target} failed, with what to check. */
    static String why(HostPort target, Exception e) {
        if (e instanceof TimeoutException) {
            return "no stream to " + target + " within the timeout: is the host reachable and the port a DAP Stream node's (dap.stream.tcp.port)?";
        }
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof ConnectException || (cause.getMessage() != null && cause.getMessage().contains("Connection refused"))) {
            return "connection to " + target + " refused: no node listens there (is it running? its stream port is dap.stream.tcp.port)";
        }
        if (cause instanceof StreamException se) {
            boolean secureOnly = se.reason() != null && se.reason().errorCode() == ErrorCode.SECURITY_REQUIRED;
            return "the node at " + target + " refused the stream: " + se.getMessage() + (secureOnly ? " (drop --plaintext)" : "");
        }
        return "could not connect to " + target + ": " + reason(e);
    }

    /** The innermost useful message of a failed future. */
    static String reason(Exception e) {
        Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
