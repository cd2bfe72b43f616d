package org.dapstream.client;

import static org.dapstream.client.ResumptionSocketTest.Checker;
import static org.dapstream.client.ResumptionSocketTest.Events;
import static org.dapstream.client.ResumptionSocketTest.FAST;
import static org.dapstream.client.ResumptionSocketTest.HEADER;
import static org.dapstream.client.ResumptionSocketTest.TIMEOUT_SECONDS;
import static org.dapstream.client.ResumptionSocketTest.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.cluster.ClusterNodes;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelGap;
import org.dapstream.stream.ResumeOutcome;
import org.dapstream.stream.ResumeTicket;
import org.dapstream.stream.Session;
import org.dapstream.stream.Stream;
import org.dapstream.transport.StreamServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sessions moving between members of a real cluster (three in-process members on loopback,
 * real links and handshakes, a shared ticket key): a client cut off from one member resumes
 * at another, which takes the session over from its owner with nothing lost or repeated in
 * either direction; a GOAWAY naming another member moves a session there the same way; and
 * the ticket a session moved with is refused when presented again at a third member.
 */
class HandOverSocketTest {
    private ClusterNodes nodes;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (nodes != null) {
            nodes.close();
        }
    }

    private void startCluster(int n) throws Exception {
        nodes = new ClusterNodes(n);
        nodes.ticketKey = new byte[32];
        new SecureRandom().nextBytes(nodes.ticketKey);
        for (int i = 0; i < n; i++) {
            nodes.start(i);
        }
        ClusterNodes.await("every member linked to every other", Duration.ofSeconds(TIMEOUT_SECONDS), () -> {
            for (NodeCluster c : nodes.nodes) {
                if (c.links().all().size() != n - 1) {
                    return false;
                }
            }
            return true;
        });
    }

    private StreamServer member(int i) {
        return nodes.clientPorts.get(i);
    }

    private StreamClient client() {
        StreamClient c = new StreamClient(ClientOptions.defaults());
        closing.add(c);
        return c;
    }

    /** Sizes of {@code messages} echo messages: mostly small, one in twenty up to 100 KiB. */
    private static int[] sizes(int messages, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] sizes = new int[messages];
        for (int n = 0; n < messages; n++) {
            sizes[n] = random.nextInt(20) == 0 ? HEADER + random.nextInt(100 * 1024) : HEADER + random.nextInt(600);
        }
        return sizes;
    }

    private static CompletableFuture<Void> writeAsync(List<Channel> channels, int[] sizes, int messages) {
        return CompletableFuture.runAsync(() -> {
            try {
                for (int n = 0; n < messages; n++) {
                    for (int i = 0; i < channels.size(); i++) {
                        Channel ch = channels.get(i);
                        if (!ch.write(PacketType.DATA, message(i, n, sizes[n]))) {
                            ch.whenWritable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        }
                    }
                    if (n % 200 == 0) {
                        Thread.sleep(5); // spread the writes, so the move lands among them
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    @Timeout(120)
    void aClientCutOffFromItsMemberResumesAtAnotherWithNothingLostOrRepeated() throws Exception {
        startCluster(3);
        CuttingProxy proxy = new CuttingProxy(nodes.vertx, member(0).port());
        closing.add(proxy);
        Events events = new Events();
        ClientSession session = client().connectSession(List.of("127.0.0.1:" + proxy.port(), "127.0.0.1:" + member(1).port()),
                FAST, events).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 2_000;
        int[] sizes = sizes(messages + 1, 5);
        List<Checker> checkers = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Checker c = new Checker(i, sizes);
            checkers.add(c);
            channels.add(session.openChannel(ChannelType.ECHO, c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
        CompletableFuture<Void> writer = writeAsync(channels, sizes, messages);
        ClusterNodes.await("some echoes back", Duration.ofSeconds(TIMEOUT_SECONDS), () -> checkers.get(0).next > 200);
        ResumeTicket movedWith = TicketReplay.copy(session.stream().resumeTicket());
        proxy.refuse(true); // the member is unreachable from now on: the client's next attempt goes to the next endpoint
        proxy.cutAll();
        ClusterNodes.await("resumed at the second member", Duration.ofSeconds(TIMEOUT_SECONDS),
                () -> events.resumed.get() == 1 && !session.suspended());
        writer.get(60, TimeUnit.SECONDS);
        for (Checker c : checkers) {
            ClusterNodes.await("every echo of channel " + c.index, Duration.ofSeconds(TIMEOUT_SECONDS),
                    () -> c.next == messages || c.problem != null);
            assertNull(c.problem);
        }
        for (Channel ch : channels) {
            assertEquals(Channel.State.OPEN, ch.state(), "the same channel objects go on");
        }
        assertEquals(0, member(0).sessions().size(), "the owner forgot the session it handed over");
        assertEquals(1, member(0).counters().sessionsMovedOut());
        assertEquals(1, member(1).sessions().size());
        Session moved = member(1).sessions().all().iterator().next();
        assertNotNull(moved.movedFrom(), "the session knows where it came from");
        assertEquals(1, member(1).counters().resumes(ResumeOutcome.HANDED_OVER));
        assertFalse(events.ended.isDone(), "the session never ended");

        // The ticket it moved with, presented again at the third member: the first owner says where it went, and the
        // second, which the client has since shown it holds the newer ticket, refuses it as spent.
        assertEquals(ErrorCode.TICKET_REPLAYED, refusal(client(), member(2), movedWith));
        assertEquals(1, member(2).counters().resumes(ResumeOutcome.TICKET_REPLAYED));
        assertEquals(0, member(2).sessions().size(), "nothing was left behind at the third member");

        // The session still runs where it moved, and is unharmed by the replay.
        int before = checkers.get(0).next;
        channels.get(0).write(PacketType.DATA, message(0, before, sizes[before]));
        ClusterNodes.await("an echo after the replay", Duration.ofSeconds(TIMEOUT_SECONDS), () -> checkers.get(0).next == before + 1
                || checkers.get(0).problem != null);
        assertNull(checkers.get(0).problem);
    }

    @Test
    @Timeout(120)
    void aGoAwayNamingAnotherMemberMovesTheSessionThere() throws Exception {
        startCluster(2);
        Events events = new Events();
        ClientSession session = client().connectSession(List.of("127.0.0.1:" + member(0).port()), FAST, events)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 1_500;
        int[] sizes = sizes(messages, 7);
        Checker checker = new Checker(0, sizes);
        Channel ch = session.openChannel(ChannelType.ECHO, checker).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        CompletableFuture<Void> writer = writeAsync(List.of(ch), sizes, messages);
        ClusterNodes.await("some echoes back", Duration.ofSeconds(TIMEOUT_SECONDS), () -> checker.next > 100);
        member(0).drain(Duration.ofSeconds(10), Duration.ofSeconds(1), "127.0.0.1:" + member(1).port());
        ClusterNodes.await("resumed at the alternate", Duration.ofSeconds(TIMEOUT_SECONDS), () -> events.resumed.get() == 1
                && !session.suspended());
        writer.get(60, TimeUnit.SECONDS);
        ClusterNodes.await("every echo", Duration.ofSeconds(TIMEOUT_SECONDS), () -> checker.next == messages || checker.problem != null);
        assertNull(checker.problem);
        assertEquals(0, member(0).sessions().size());
        assertEquals(1, member(1).sessions().size());
        assertEquals(1, member(1).counters().resumes(ResumeOutcome.HANDED_OVER));
        assertEquals("127.0.0.1:" + member(1).port(), session.nextEndpoint(), "it stays at the member it moved to");
        assertTrue(events.pauses.get(0).toMillis() < 5_000, "moved within seconds: " + events.pauses);
    }

    /** Records resumptions, gaps and the end of a session. */
    static final class GapEvents implements SessionListener {
        final AtomicInteger resumed = new AtomicInteger();
        final List<ChannelGap> gaps = new CopyOnWriteArrayList<>();
        final CompletableFuture<CloseReason> ended = new CompletableFuture<>();

        @Override
        public void resumed(ClientSession session, Stream stream, Duration pause, int attempts) {
            resumed.incrementAndGet();
        }

        @Override
        public void gap(ClientSession session, ChannelGap gap) {
            gaps.add(gap);
        }

        @Override
        public void ended(ClientSession session, CloseReason reason) {
            ended.complete(reason);
        }
    }

    @Test
    @Timeout(120)
    void aSessionWhoseMemberCrashedResumesAtAnotherWithAGapNoticeThatSaysWhatWasLost() throws Exception {
        startCluster(3);
        CuttingProxy toFirst = new CuttingProxy(nodes.vertx, member(0).port());
        CuttingProxy toSecond = new CuttingProxy(nodes.vertx, member(1).port());
        closing.add(toFirst);
        closing.add(toSecond);
        toSecond.refuse(true); // held back until the first member is gone
        GapEvents events = new GapEvents();
        ClientSession session = client().connectSession(List.of("127.0.0.1:" + toFirst.port(), "127.0.0.1:" + toSecond.port()),
                FAST, events).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int messages = 2_000;
        int[] sizes = sizes(messages + 1, 9);
        Checker checker = new Checker(0, sizes);
        Channel ch = session.openChannel(ChannelType.ECHO, checker).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        writeAsync(List.of(ch), sizes, messages).get(60, TimeUnit.SECONDS); // all written: sent, in flight, or kept
        ClusterNodes.await("some echoes back", Duration.ofSeconds(TIMEOUT_SECONDS), () -> checker.next > 200);
        ResumeTicket lost = TicketReplay.copy(session.stream().resumeTicket());
        NodeAddress first = nodes.nodes.get(0).self();

        // The first member crashes: its client connection is cut, then it is gone, with the session it held.
        toFirst.refuse(true);
        toFirst.cutAll();
        nodes.nodes.get(0).close();
        member(0).stop().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ClusterNodes.await("the others lost their links to it", Duration.ofSeconds(TIMEOUT_SECONDS),
                () -> nodes.nodes.get(1).links().to(first) == null && nodes.nodes.get(2).links().to(first) == null);
        int received = checker.next;
        toSecond.refuse(false);

        ClusterNodes.await("resumed at the second member with a gap", Duration.ofSeconds(TIMEOUT_SECONDS),
                () -> events.gaps.size() == 1 && !session.suspended());
        ChannelGap gap = events.gaps.get(0);
        assertNull(checker.problem, "what arrived before the crash arrived once, in order");
        assertEquals(ch, gap.channel());
        assertEquals(first, gap.lostOwner());
        assertEquals(received, gap.received(), "the gap starts right after the last echo that arrived");
        assertEquals(checker.next, received, "nothing arrived after the crash on the lost channel");
        assertEquals(messages, gap.written());
        assertTrue(gap.acknowledged() <= messages && gap.acknowledged() >= 0, gap.toString());
        // The gap is heard before the channel closes (on the client's loop, an instant later).
        assertEquals(ErrorCode.SESSION_LOST, ch.closed().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).errorCode());
        assertEquals(Channel.State.CLOSED, ch.state());
        assertFalse(events.ended.isDone(), "the session goes on");
        assertEquals(1, member(1).counters().resumes(ResumeOutcome.GAP));

        // The session runs at the second member: a new channel on it echoes.
        Checker fresh = new Checker(0, sizes);
        Channel again = session.openChannel(ChannelType.ECHO, fresh).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        again.write(PacketType.DATA, message(0, 0, sizes[0]));
        ClusterNodes.await("an echo on a new channel", Duration.ofSeconds(TIMEOUT_SECONDS), () -> fresh.next == 1 || fresh.problem != null);
        assertNull(fresh.problem);

        // The lost member's ticket again, at the third member: the claim was granted once, in the whole cluster.
        assertEquals(ErrorCode.TICKET_REPLAYED, refusal(client(), member(2), lost));
        assertEquals(0, member(2).sessions().size());
    }

    /** Dials {@code member} and tries to resume with {@code ticket}: the code it is refused with (null: accepted). */
    private static ErrorCode refusal(StreamClient client, StreamServer member, ResumeTicket ticket) throws Exception {
        return TicketReplay.refusal(client, "127.0.0.1", member.port(), ticket, Duration.ofSeconds(TIMEOUT_SECONDS));
    }
}
