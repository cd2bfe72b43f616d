package org.dapstream.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Packet;
import org.dapstream.stream.ResumeOutcome;
import org.dapstream.stream.ResumeTicket;
import org.dapstream.stream.Session;
import org.dapstream.stream.SessionResumption;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamException;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Session resumption over real sockets, the real handshake and a proxy the test cuts: the
 * session survives cuts with nothing lost, repeated or reordered on any channel in either
 * direction; writes made while it is away are kept and delivered after; tickets are refused,
 * each with its code, when replayed, presented without their secret, damaged, or issued by
 * another node; and a session that does not come back expires on both sides, its memory freed.
 */
class ResumptionSocketTest {
    static final int TIMEOUT_SECONDS = 20;
    /** Echo messages carry their channel index and number in the first 5 bytes, then bytes derived from both. */
    static final int HEADER = 5;
    static final SessionOptions FAST = new SessionOptions(Duration.ofMillis(5), Duration.ofMillis(100));

    private final List<AutoCloseable> closing = new ArrayList<>();
    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** A secure node on 127.0.0.1 that resumes sessions (ECHO, DISCARD and a HELD type served). */
    private record Node(StreamServer server, Sessions sessions, StreamCounters counters, NodeAddress address) {
        int port() {
            return server.port();
        }
    }

    private Node startNode(Duration expiry, byte[] ticketKey, ChannelRegistry services) throws Exception {
        if (vertx == null) {
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        }
        SecureRandom random = new SecureRandom();
        NodeIdentity identity = NodeIdentity.generate(SignatureAlgorithm.ED25519, random);
        StreamSecurity security = StreamSecurity.of(HandshakeSettings.defaults(identity, random)
                .withFeatures(Features.ACKS | Features.RESUMPTION));
        Sessions sessions = new Sessions(StreamClock.SYSTEM, new SessionResumption(
                new TicketSealer((byte) 1, ticketKey, (byte) 0, null, random), expiry, Duration.ofHours(1)));
        StreamCounters counters = new StreamCounters();
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 2, StreamConfig.defaults(),
                NodeAddress.NONE, security, null), services, sessions, counters);
        server.start().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        closing.add(() -> server.stop().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        return new Node(server, sessions, counters, identity.address());
    }

    private Node startNode(Duration expiry) throws Exception {
        return startNode(expiry, ChannelRegistry.withDiagnostics());
    }

    /** A node with a ticket key of its own, serving {@code services}. */
    private Node startNode(Duration expiry, ChannelRegistry services) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return startNode(expiry, key, services);
    }

    private CuttingProxy proxy(Node node) throws Exception {
        CuttingProxy p = new CuttingProxy(vertx, node.port());
        closing.add(p);
        return p;
    }

    private StreamClient client() {
        StreamClient c = new StreamClient(ClientOptions.defaults());
        closing.add(c);
        return c;
    }

    /** Records what a session's listener hears. */
    static final class Events implements SessionListener {
        final AtomicInteger suspended = new AtomicInteger();
        final AtomicInteger resumed = new AtomicInteger();
        final CompletableFuture<CloseReason> ended = new CompletableFuture<>();
        final List<Duration> pauses = new ArrayList<>();

        @Override
        public void suspended(ClientSession session, CloseReason cause) {
            suspended.incrementAndGet();
        }

        @Override
        public synchronized void resumed(ClientSession session, Stream stream, Duration pause, int attempts) {
            pauses.add(pause);
            resumed.incrementAndGet();
        }

        @Override
        public void ended(ClientSession session, CloseReason reason) {
            ended.complete(reason);
        }
    }

    /** The message {@code n} of channel {@code index}: its index and number, then bytes derived from both. */
    static byte[] message(int index, int n, int size) {
        byte[] m = new byte[Math.max(HEADER, size)];
        m[0] = (byte) index;
        ByteBuffer.wrap(m, 1, 4).putInt(n);
        SplittableRandom r = new SplittableRandom(index * 1_000_003L + n);
        for (int i = HEADER; i < m.length; i++) {
            m[i] = (byte) r.nextInt();
        }
        return m;
    }

    /** Checks each echo as it arrives: the next number of its channel, with the right bytes. */
    static final class Checker implements ChannelHandler {
        final int index;
        volatile int next;
        volatile String problem;
        /** After a gap: the first message missing, to tell whether it comes later (reordered) or never (lost). */
        private int missing = -1;
        final int[] sizes;

        Checker(int index, int[] sizes) {
            this.index = index;
            this.sizes = sizes;
        }

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            byte[] got = new byte[data.remaining()];
            data.get(got);
            int n = ByteBuffer.wrap(got, 1, 4).getInt();
            if (problem != null && missing >= 0 && n == missing) {
                problem += "; message " + n + " came later, after " + (next - 1) + " (out of order, not lost)";
                missing = -1;
            }
            if (problem == null && (got[0] != index || n != next)) {
                problem = "channel " + index + ": expected message " + next + ", got " + n + " of channel " + got[0]
                        + (n < next ? " (a repeat)" : " (a gap)");
                missing = n > next ? next : -1;
            } else if (problem == null && !Arrays.equals(got, message(index, n, sizes[n]))) {
                problem = "channel " + index + ": message " + n + " arrived with other bytes";
            }
            next = n + 1;
        }
    }

    private static void await(BooleanSupplier done, long seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Writes every message of every channel in turn, waiting on back-pressure (also while the session is away). */
    /**
     * Writes messages {@code from..to-1} on each channel in turn; the channel at index 1 gives its
     * arrays ({@link Channel#give}) instead, so that the arrays the stream keeps and sends again
     * after a cut are the writer's own, not copies.
     */
    private static void writeAll(List<Channel> channels, int[] sizes, int from, int to) throws Exception {
        for (int n = from; n < to; n++) {
            for (int i = 0; i < channels.size(); i++) {
                Channel ch = channels.get(i);
                byte[] m = message(i, n, sizes[n]);
                if (!(i == 1 ? ch.give(PacketType.DATA, m) : ch.write(PacketType.DATA, m))) {
                    ch.whenWritable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    @Timeout(120)
    void cutsLoseNothingAndRepeatNothingOnAnyChannelEitherWay() throws Exception {
        Node node = startNode(Duration.ofSeconds(30));
        CuttingProxy proxy = proxy(node);
        Events events = new Events();
        ClientSession session = client().connectSession("127.0.0.1", proxy.port(), FAST, events)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 3_000;
        SplittableRandom random = new SplittableRandom(11);
        int[] sizes = new int[messages];
        for (int n = 0; n < messages; n++) {
            sizes[n] = random.nextInt(20) == 0 ? HEADER + random.nextInt(150 * 1024) : HEADER + random.nextInt(600);
        }
        List<Checker> checkers = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Checker c = new Checker(i, sizes);
            checkers.add(c);
            channels.add(session.openChannel(ChannelType.ECHO, c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                writeAll(channels, sizes, 0, messages);
            } catch (Exception e) {
                Stream st = session.stream();
                System.err.println("DIAG client " + st + " unacked=" + st.unacknowledgedBytes() + " credit=" + st.sendCredit()
                        + " queued=" + st.queuedOutputBytes());
                for (Channel c : channels) {
                    System.err.println("DIAG  " + c + " queued=" + c.queuedBytes() + " credit=" + c.sendCredit() + " sus=" + c.state());
                }
                for (Stream ss : node.counters().liveStreams()) {
                    System.err.println("DIAG server " + ss + " unacked=" + ss.unacknowledgedBytes() + " credit=" + ss.sendCredit()
                            + " queued=" + ss.queuedOutputBytes());
                    for (Channel c : ss.channels()) {
                        System.err.println("DIAG  " + c + " queued=" + c.queuedBytes() + " credit=" + c.sendCredit() + " paused=" + c.paused());
                    }
                }
                throw new IllegalStateException(e);
            }
        });
        int cuts = 0;
        while ((!writer.isDone() || cuts < 3) && cuts < 8) { // cuts after the writer is done land among the echoes
            Thread.sleep(40 + random.nextInt(80));
            int resumedBefore = events.resumed.get();
            if (proxy.cutAll() == 0) {
                continue; // the client was between connections: nothing was cut
            }
            cuts++;
            // A cut the client has not noticed yet leaves it running: wait for the resumption it leads to.
            await(() -> events.resumed.get() > resumedBefore && !session.suspended(), TIMEOUT_SECONDS,
                    "the session resumed after cut " + cuts + " " + session.stream());
        }
        writer.get(60, TimeUnit.SECONDS);
        await(() -> checkers.stream().allMatch(c -> c.next == messages || c.problem != null), 60, "every echo arrived");
        for (Checker c : checkers) {
            assertEquals(null, c.problem);
            assertEquals(messages, c.next, "channel " + c.index + ": every message echoed once, in order");
        }
        assertTrue(events.resumed.get() >= 3, "resumed after the cuts: " + events.resumed.get());
        assertEquals(events.suspended.get(), events.resumed.get(), "every suspension ended in a resumption");
        assertFalse(events.ended.isDone(), "the session never ended");
        for (int i = 0; i < channels.size(); i++) {
            assertSame(channels.get(i).stream(), session.stream(), "the same channel object runs on the newest stream");
        }
        // The node counts a resumption once RESUME_FINISH is in; the client, once it sent it: a cut in between counts on one side only.
        long onNode = node.counters().resumes(ResumeOutcome.RESUMED);
        assertTrue(onNode >= 1 && onNode <= events.resumed.get(), "resumptions on the node " + onNode + ", on the client " + events.resumed.get());
        await(() -> session.stream().unacknowledgedBytes() == 0, TIMEOUT_SECONDS, "the client's store emptied");
    }

    @Test
    @Timeout(60)
    void writesWhileTheSessionIsAwayAreDeliveredWhenItResumes() throws Exception {
        Node node = startNode(Duration.ofSeconds(30));
        CuttingProxy proxy = proxy(node);
        Events events = new Events();
        ClientSession session = client().connectSession("127.0.0.1", proxy.port(), FAST, events)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 200;
        int[] sizes = new int[messages];
        Arrays.fill(sizes, 1000);
        Checker checker = new Checker(0, sizes);
        Channel ch = session.openChannel(ChannelType.ECHO, checker).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        writeAll(List.of(ch), sizes, 0, 50);
        await(() -> checker.next == 50, TIMEOUT_SECONDS, "the first 50 echoed");
        proxy.refuse(true);
        proxy.cutAll();
        await(session::suspended, TIMEOUT_SECONDS, "the session noticed the cut");
        assertEquals(Channel.State.SUSPENDED, ch.state());
        writeAll(List.of(ch), sizes, 50, messages); // kept while the node is unreachable
        Thread.sleep(200); // several refused attempts
        assertEquals(50, checker.next, "nothing can arrive while the node is unreachable");
        proxy.refuse(false);
        await(() -> checker.next == messages || checker.problem != null, TIMEOUT_SECONDS, "the kept writes echoed");
        assertEquals(null, checker.problem);
        assertEquals(Channel.State.OPEN, ch.state());
        assertTrue(events.pauses.get(0).toMillis() >= 200, "the pause covers the refused attempts: " + events.pauses);
    }

    /**
     * A node channel whose service reads nothing (paused) holds at most one window, however many
     * times the session is cut: what it held unread at each cut is let go, and the client, which
     * keeps every message until it is delivered, sends it again on the next connection. Once the
     * service reads, every message arrives once, in order. (Each new connection's fresh window
     * once added to what such a channel held: 237 MB after 1,400 cuts in the long chaos run.)
     */
    @Test
    @Timeout(120)
    void aChannelThatDoesNotReadHoldsOneWindowHoweverOftenItIsCut() throws Exception {
        ChannelType held = ChannelType.custom(0x53);
        CompletableFuture<Channel> onNode = new CompletableFuture<>();
        AtomicInteger next = new AtomicInteger();
        List<String> problems = new ArrayList<>();
        Node node = startNode(Duration.ofSeconds(30), ChannelRegistry.withDiagnostics().register(held, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pause(); // holds what arrives: nothing delivered, nothing acknowledged
                onNode.complete(channel);
            }

            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                int n = data.getInt(data.position());
                if (n != next.get()) {
                    problems.add("expected message " + next.get() + ", got " + n);
                }
                next.set(n + 1);
            }
        }));
        CuttingProxy proxy = proxy(node);
        Events events = new Events();
        ClientSession session = client().connectSession("127.0.0.1", proxy.port(), FAST, events).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Channel ch = session.openChannel(held, new ChannelHandler() { }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 300;
        int size = 16 * 1024;
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int n = 0; n < messages; n++) {
                    byte[] m = new byte[size];
                    ByteBuffer.wrap(m).putInt(n);
                    if (!ch.give(PacketType.DATA, m)) {
                        ch.whenWritable().get(60, TimeUnit.SECONDS);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long window = FlowWindow.INITIAL_CHANNEL_WINDOW;
        long mostHeld = 0;
        for (int cut = 1; cut <= 8; cut++) {
            await(() -> nodeHeld(node) >= window - size, TIMEOUT_SECONDS, "the node's channel filled its window before cut " + cut);
            mostHeld = Math.max(mostHeld, nodeHeld(node));
            int resumedBefore = events.resumed.get();
            assertTrue(proxy.cutAll() > 0, "cut " + cut + " cut the session's connection");
            await(() -> events.resumed.get() > resumedBefore && !session.suspended(), TIMEOUT_SECONDS, "resumed after cut " + cut);
        }
        await(() -> nodeHeld(node) >= window - size, TIMEOUT_SECONDS, "the node's channel filled its window after the last cut");
        mostHeld = Math.max(mostHeld, nodeHeld(node));
        assertTrue(mostHeld <= window, "the node held at most one window (" + window + " bytes) after 8 cuts: " + mostHeld);
        assertEquals(0, next.get(), "nothing was delivered while the service did not read");
        assertTrue(session.stream().unacknowledgedBytes() >= mostHeld, "the client keeps what the node holds: nothing was acknowledged");

        onNode.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).resume();
        writer.get(60, TimeUnit.SECONDS);
        await(() -> next.get() == messages || !problems.isEmpty(), TIMEOUT_SECONDS, "every message delivered once the service reads");
        assertEquals(List.of(), problems, "each message once, in order");
        assertEquals(messages, next.get());
        await(() -> session.stream().unacknowledgedBytes() == 0, TIMEOUT_SECONDS, "the client let go of all it kept");
    }

    /**
     * A node channel in pull mode, read by a thread of the application in bursts while the
     * session is cut: every message is read once, in order. A read either took a message before
     * the resumption's RESUMED counted it as delivered, or the message was let go there and the
     * client sent it again; never both, never neither.
     */
    @Test
    @Timeout(120)
    void aPullModeReaderReadsEachMessageOnceThroughCuts() throws Exception {
        ChannelType pulled = ChannelType.custom(0x54);
        CompletableFuture<Channel> onNode = new CompletableFuture<>();
        Node node = startNode(Duration.ofSeconds(30), ChannelRegistry.withDiagnostics().register(pulled, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pullMode(true);
                onNode.complete(channel);
            }
        }));
        CuttingProxy proxy = proxy(node);
        Events events = new Events();
        ClientSession session = client().connectSession("127.0.0.1", proxy.port(), FAST, events).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Channel ch = session.openChannel(pulled, new ChannelHandler() { }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 2_000;
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int n = 0; n < messages; n++) {
                    byte[] m = new byte[4 * 1024];
                    ByteBuffer.wrap(m).putInt(n);
                    if (!ch.give(PacketType.DATA, m)) {
                        ch.whenWritable().get(60, TimeUnit.SECONDS);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Channel reading = onNode.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        AtomicInteger next = new AtomicInteger();
        List<String> problems = new ArrayList<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            SplittableRandom r = new SplittableRandom(5);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (next.get() < messages && problems.isEmpty() && System.nanoTime() < deadline) {
                for (int burst = r.nextInt(10); burst > 0; burst--) {
                    Packet p = reading.read();
                    if (p == null) {
                        break;
                    }
                    int n = ByteBuffer.wrap(p.data()).getInt();
                    if (n != next.get()) {
                        problems.add("expected message " + next.get() + ", read " + n);
                    }
                    next.set(n + 1);
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(1000 + r.nextInt(2000)));
            }
        });
        for (int cut = 1; cut <= 6; cut++) { // while the reader is still at it: it takes about 5 messages per 2 ms
            Thread.sleep(60);
            int resumedBefore = events.resumed.get();
            if (proxy.cutAll() > 0) {
                await(() -> events.resumed.get() > resumedBefore && !session.suspended(), TIMEOUT_SECONDS, "resumed after cut " + cut);
            }
        }
        assertTrue(next.get() < messages, "the cuts landed while messages were still unread: " + next.get() + " read");
        writer.get(60, TimeUnit.SECONDS);
        reader.get(100, TimeUnit.SECONDS);
        assertEquals(List.of(), problems, "each message read once, in order");
        assertEquals(messages, next.get(), "every message read");
        assertTrue(events.resumed.get() >= 3, "the session was cut and resumed: " + events.resumed.get());
        await(() -> session.stream().unacknowledgedBytes() == 0, TIMEOUT_SECONDS, "the client let go of all it kept");
    }

    /** Bytes the node's live streams hold for their applications. */
    private static long nodeHeld(Node node) {
        return node.counters().liveStreams().stream().mapToLong(Stream::heldBytes).sum();
    }

    /** Dials {@code node} directly and tries to resume {@code session} with {@code ticket}: the code it is refused with. */
    private ErrorCode refusal(StreamClient client, Node node, ResumeTicket ticket) throws Exception {
        Session stranger = new Session(1, NodeAddress.NONE, System.currentTimeMillis());
        try {
            Stream s = client.connect("127.0.0.1", node.port(), null, StreamListener.NONE, ticket, stranger)
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            s.close();
            return null;
        } catch (ExecutionException e) {
            assertInstanceOf(StreamException.class, e.getCause(), "refused by the node: " + e.getCause());
            return ((StreamException) e.getCause()).reason().errorCode();
        }
    }

    private static ResumeTicket copy(ResumeTicket t) {
        return new ResumeTicket(t.ticket().clone(), t.number(), t.secret().clone(), t.lifetimeSeconds(), t.receivedAtMillis());
    }

    @Test
    @Timeout(60)
    void ticketsAreRefusedWhenReplayedStolenDamagedOrFromAnotherNode() throws Exception {
        byte[] clusterKey = new byte[32];
        new SecureRandom().nextBytes(clusterKey);
        Node node = startNode(Duration.ofSeconds(30), clusterKey, ChannelRegistry.withDiagnostics());
        Node other = startNode(Duration.ofSeconds(30), clusterKey, ChannelRegistry.withDiagnostics());
        CuttingProxy proxy = proxy(node);
        StreamClient client = client();
        Events events = new Events();
        ClientSession session = client.connectSession("127.0.0.1", proxy.port(), FAST, events).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int[] sizes = new int[100];
        Arrays.fill(sizes, 100);
        Checker checker = new Checker(0, sizes);
        Channel bystander = session.openChannel(ChannelType.ECHO, checker).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        await(() -> session.stream().resumeTicket() != null, TIMEOUT_SECONDS, "the first ticket arrived");
        ResumeTicket first = copy(session.stream().resumeTicket());
        proxy.cutAll();
        await(() -> events.resumed.get() == 1, TIMEOUT_SECONDS, "resumed with the first ticket");
        writeAll(List.of(bystander), sizes, 0, 10);
        await(() -> checker.next == 10, TIMEOUT_SECONDS, "the resumed session echoes (and the client's RESUMED confirmed the new ticket)");
        ResumeTicket second = copy(session.stream().resumeTicket());
        assertTrue(second.number() > first.number(), "a new ticket after the resumption");

        assertEquals(ErrorCode.TICKET_REPLAYED, refusal(client, node, first), "the spent ticket, replayed");
        byte[] noSecret = new byte[32];
        assertEquals(ErrorCode.TICKET_BINDER_MISMATCH, refusal(client, node,
                new ResumeTicket(second.ticket(), second.number(), noSecret, 30, 0)), "the newest ticket without its secret");
        byte[] damaged = second.ticket().clone();
        damaged[damaged.length - 1] ^= 1;
        assertEquals(ErrorCode.TICKET_INVALID, refusal(client, node,
                new ResumeTicket(damaged, second.number(), second.secret(), 30, 0)), "a damaged ticket");
        assertEquals(ErrorCode.TICKET_WRONG_NODE, refusal(client, other, second), "the ticket at another node with the same key");
        assertEquals(1, node.counters().resumes(ResumeOutcome.TICKET_REPLAYED));
        assertEquals(1, node.counters().resumes(ResumeOutcome.TICKET_BINDER_MISMATCH));
        assertEquals(1, node.counters().resumes(ResumeOutcome.TICKET_INVALID));
        assertEquals(1, other.counters().resumes(ResumeOutcome.TICKET_WRONG_NODE));

        // None of that touched the session: it goes on, and still resumes with its own (newest) ticket.
        writeAll(List.of(bystander), sizes, 10, 50);
        await(() -> checker.next == 50, TIMEOUT_SECONDS, "the session echoes after the refusals");
        proxy.cutAll();
        await(() -> events.resumed.get() == 2, TIMEOUT_SECONDS, "resumed again");
        writeAll(List.of(bystander), sizes, 50, 100);
        await(() -> checker.next == 100 || checker.problem != null, TIMEOUT_SECONDS, "echoes after the second resumption");
        assertEquals(null, checker.problem);
    }

    @Test
    @Timeout(60)
    void aSessionThatDoesNotComeBackExpiresOnBothSidesAndItsMemoryIsFreed() throws Exception {
        LinkedBlockingQueue<CloseReason> serverSideClosed = new LinkedBlockingQueue<>();
        ChannelType held = ChannelType.custom(0x52);
        Node node = startNode(Duration.ofSeconds(1), ChannelRegistry.withDiagnostics().register(held, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pause(); // keeps what arrives, unacknowledged by delivery: the client's store holds it
                // and writes 64 KiB the client will not have acknowledged at the cut
                channel.write(PacketType.DATA, new byte[64 * 1024]);
            }

            @Override
            public void closed(Channel channel, CloseReason reason) {
                serverSideClosed.add(reason);
            }
        }));
        CuttingProxy proxy = proxy(node);
        Events events = new Events();
        ClientSession session = client().connectSession("127.0.0.1", proxy.port(), FAST, events).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Channel ch = session.openChannel(held, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pullMode(true); // the node's message waits unread: not delivered, not acknowledged
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ch.write(PacketType.DATA, new byte[32 * 1024]);
        await(() -> node.sessions().size() == 1, TIMEOUT_SECONDS, "the node has the session");
        proxy.refuse(true);
        proxy.cutAll();
        await(() -> node.sessions().suspendedCount() == 1, TIMEOUT_SECONDS, "the node suspended the session");
        assertTrue(node.sessions().suspendedBytes() >= 64 * 1024, "the node keeps its unacknowledged message: "
                + node.sessions().suspendedBytes());
        CloseReason onNode = serverSideClosed.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(onNode, "the node's channel closed at the expiry");
        assertEquals(ErrorCode.SESSION_EXPIRED, onNode.errorCode());
        assertEquals(0, node.sessions().size(), "the node forgot the session");
        assertEquals(0, node.sessions().suspendedBytes(), "and freed what it kept");
        CloseReason onClient = events.ended.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(ErrorCode.SESSION_EXPIRED, onClient.errorCode(), "the client gave up at the expiry the ticket named: " + onClient);
        assertEquals(ErrorCode.SESSION_EXPIRED, ch.closed().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).errorCode());
        assertTrue(session.closed().isDone());
    }
}
