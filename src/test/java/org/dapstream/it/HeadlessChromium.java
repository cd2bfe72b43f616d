package org.dapstream.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A headless Chromium driven over the DevTools protocol: one page, navigated, evaluated and
 * photographed. The browser runs as a child process with a throwaway profile and is ended by
 * {@link #close()}.
 */
final class HeadlessChromium implements AutoCloseable {
    /** How long the browser may take to start and announce its DevTools endpoint. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** How long one DevTools command may take (a screenshot of a page included). */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** Between two evaluations while waiting for the page to show something. */
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final List<String> console = new CopyOnWriteArrayList<>();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final WebSocket socket;

    private HeadlessChromium(Process process, URI page) throws Exception {
        this.process = process;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(page, new Listener(this::received))
                .get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        send("Runtime.enable", Map.of());
        send("Page.enable", Map.of());
    }

    /** Starts {@code chromium} with a window of {@code width} x {@code height} and attaches to its first page. */
    static HeadlessChromium launch(Path chromium, Path profile, int width, int height) throws Exception {
        List<String> command = List.of(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height, "about:blank");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            URI browser = devToolsEndpoint(process);
            URI list = URI.create("http://" + browser.getAuthority() + "/json/list");
            HttpResponse<String> targets = HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(list).timeout(COMMAND_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            for (JsonNode target : JSON.readTree(targets.body())) {
                if ("page".equals(target.path("type").asText())) {
                    return new HeadlessChromium(process, URI.create(target.path("webSocketDebuggerUrl").asText()));
                }
            }
            throw new IllegalStateException("chromium has no page target: " + targets.body());
        } catch (Exception e) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Reads the browser's output until it names its DevTools endpoint; keeps draining it afterwards. */
    private static URI devToolsEndpoint(Process process) throws Exception {
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<URI> endpoint = new CompletableFuture<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    seen.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        endpoint.complete(URI.create(m.group(1)));
                    }
                }
            } catch (IOException e) {
                endpoint.completeExceptionally(e);
            }
            endpoint.completeExceptionally(new IllegalStateException("chromium exited: " + String.join("\n", seen)));
        }, "chromium-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return endpoint.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("chromium did not start within " + START_TIMEOUT + ": " + String.join("\n", seen), e);
        }
    }

    void navigate(String url) throws Exception {
        send("Page.navigate", Map.of("url", url));
    }

    /** The value of a JavaScript expression in the page, promises awaited; an exception fails. */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode result = send("Runtime.evaluate", Map.of("expression", expression, "awaitPromise", true, "returnByValue", true));
        if (result.has("exceptionDetails")) {
            throw new AssertionError("page threw on " + expression + ": " + result.get("exceptionDetails") + "\nconsole: " + console);
        }
        return result.path("result").path("value");
    }

    /** Evaluates until the expression is truthy; returns its value, or fails with {@code what} after {@code within}. */
    JsonNode waitFor(String what, String expression, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        // while the page loads, its elements are missing: that is "not yet", not a failure
        String guarded = "(() => { try { return (" + expression + "); } catch (e) { return null; } })()";
        JsonNode value = evaluate(guarded);
        while (!truthy(value)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the page did not show " + what + " within " + within + " (last value " + value
                        + ")\npage text: " + evaluate("document.body.innerText") + "\nconsole: " + console);
            }
            Thread.sleep(POLL.toMillis());
            value = evaluate(guarded);
        }
        return value;
    }

    private static boolean truthy(JsonNode v) {
        return !(v == null || v.isMissingNode() || v.isNull() || (v.isBoolean() && !v.asBoolean()) || (v.isTextual() && v.asText().isEmpty())
                || (v.isNumber() && v.asDouble() == 0));
    }

    /** A PNG of the page as shown. */
    byte[] screenshot() throws Exception {
        return Base64.getDecoder().decode(send("Page.captureScreenshot", Map.of("format", "png")).path("data").asText());
    }

    /** What the page logged (console calls and uncaught exceptions), for failure messages. */
    List<String> console() {
        return new ArrayList<>(console);
    }

    private JsonNode send(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", JSON.valueToTree(params));
        socket.sendText(JSON.writeValueAsString(message), true).get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        JsonNode reply = answer.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return reply.path("result");
    }

    private void received(String text) {
        try {
            JsonNode message = JSON.readTree(text);
            if (message.has("id")) {
                CompletableFuture<JsonNode> answer = pending.remove(message.get("id").asInt());
                if (answer != null) {
                    answer.complete(message);
                }
            } else if ("Runtime.consoleAPICalled".equals(message.path("method").asText())) {
                StringBuilder line = new StringBuilder(message.path("params").path("type").asText()).append(':');
                for (JsonNode arg : message.path("params").path("args")) {
                    line.append(' ').append(arg.has("value") ? arg.get("value").asText() : arg.path("description").asText());
                }
                console.add(line.toString());
            } else if ("Runtime.exceptionThrown".equals(message.path("method").asText())) {
                console.add("exception: " + message.path("params").path("exceptionDetails"));
            }
        } catch (IOException e) {
            console.add("unreadable DevTools message: " + e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the browser is ended below either way
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Gathers a text message that may arrive in parts. */
    private static final class Listener implements WebSocket.Listener {
        private final Consumer<String> whole;
        private final StringBuilder parts = new StringBuilder();

        Listener(Consumer<String> whole) {
            this.whole = whole;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            parts.append(data);
            if (last) {
                whole.accept(parts.toString());
                parts.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }
}
