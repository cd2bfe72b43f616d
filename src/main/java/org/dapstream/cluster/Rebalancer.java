package org.dapstream.cluster;

import io.vertx.core.Vertx;
import org.dapstream.stream.Session;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Spreads client sessions over the members after the membership changes (a scale-up: new
 * members start with none). Each interval, once the set of ready members has not changed for
 * an interval, a member with more than {@code ceil(total / members)} sessions plus the slack
 * sends its excess, and only its excess, to the members below that share, each up to the
 * share, so no receiver goes above it and nothing moves back (hysteresis). A session moves by
 * a GOAWAY that names its new member: the client leaves and resumes there, and the session is
 * handed over (PROTOCOL.md section 33), losing nothing. Moves are paced ({@code rate} per
 * second, each at a random point of its slot) so the receivers are not flooded with
 * handshakes; only sessions whose client can resume (it agreed RESUMPTION) and that have not
 * moved within the last two intervals are moved.
 *
 * <p>The loads are what the members last told over their links (NODE, every load interval):
 * after a round, the next waits until every session it moved has left (or stayed past
 * {@link #MOVE_TIMEOUT}) and the members have told their loads twice since. On a Vert.x timer.
 */
public final class Rebalancer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Rebalancer.class.getName());
    /** The GOAWAY grace of a moved session: its client leaves at once, this only bounds a client that does not. */
    static final long MOVE_GRACE_MILLIS = 10_000;
    static final String MOVE_REASON = "rebalancing: this session moves to a member with fewer sessions";
    /** A session told to move that is still here after this long is taken to stay (its client did not move). */
    static final Duration MOVE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * @param interval how often the loads are compared; also how long the membership must stay the same before anything moves
     * @param slack    the fraction of the fair share a member may hold above it before it sheds (0.05: 5 %, at least one session)
     * @param rate     sessions a member moves per second at most
     */
    public record Settings(Duration interval, double slack, int rate) {
        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
        public static final double DEFAULT_SLACK = 0.05;
        public static final int DEFAULT_RATE = 100;

        public Settings {
            if (interval == null || interval.toMillis() < 10) {
                throw new IllegalArgumentException("rebalance interval must be at least 10 ms, got " + interval);
            }
            if (!(slack >= 0 && slack <= 1)) {
                throw new IllegalArgumentException("rebalance slack must be 0..1 (a fraction of the fair share), got " + slack);
            }
            if (rate < 1) {
                throw new IllegalArgumentException("rebalance rate must be at least 1 session per second, got " + rate);
            }
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_INTERVAL, DEFAULT_SLACK, DEFAULT_RATE);
        }
    }

    private final Vertx vertx;
    private final NodeCluster cluster;
    private final Sessions sessions;
    private final Settings settings;
    private final Duration loadInterval;
    private final BooleanSupplier draining;
    private final SplittableRandom random = new SplittableRandom();
    private final AtomicLong moved = new AtomicLong();
    /** Sessions told to move and not gone yet, with when (nanoTime): the next round waits for them. */
    private final Map<Session, Long> moving = new ConcurrentHashMap<>();
    private Set<String> lastMembers = Set.of();
    private long membersSince = System.nanoTime();
    private long quietUntil = System.nanoTime();
    private long timer = -1;

    Rebalancer(Vertx vertx, NodeCluster cluster, Sessions sessions, Settings settings, Duration loadInterval, BooleanSupplier draining) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.sessions = sessions;
        this.settings = settings;
        this.loadInterval = loadInterval;
        this.draining = draining;
    }

    void start() {
        timer = vertx.setPeriodic(settings.interval().toMillis(), id -> tick(System.nanoTime()));
    }

    /** Sessions this node has sent to other members to even the load. */
    public long moved() {
        return moved.get();
    }

    /** One comparison of the loads; moves what this node holds above its share. */
    void tick(long now) {
        Map<String, Long> ready = cluster.readyEndpoints();
        if (!ready.keySet().equals(lastMembers)) {
            lastMembers = Set.copyOf(ready.keySet());
            membersSince = now; // a member came or went: wait for the others to arrive and the loads to be told
            return;
        }
        if (!moving.isEmpty()) {
            // A session still here that was told to move counts here; deciding now would move it twice.
            moving.entrySet().removeIf(e -> !e.getKey().active() || now - e.getValue() > MOVE_TIMEOUT.toNanos());
            if (!moving.isEmpty()) {
                return;
            }
            quietUntil = Math.max(quietUntil, now + loadInterval.multipliedBy(2).toNanos()); // the receivers tell their new loads
        }
        if (ready.isEmpty() || draining.getAsBoolean() || now - membersSince < settings.interval().toNanos() || now - quietUntil < 0) {
            return;
        }
        long own = sessions.size();
        long total = own;
        for (long load : ready.values()) {
            total += load;
        }
        long share = (total + ready.size()) / (ready.size() + 1); // ceil(total / members)
        long slack = Math.max(1, (long) Math.ceil(share * settings.slack()));
        if (own <= share + slack) {
            return;
        }
        List<String> receivers = receivers(ready, share);
        List<Stream> movable = movable();
        int count = (int) Math.min(Math.min(own - share, movable.size()), receivers.size());
        if (count == 0) {
            return;
        }
        Collections.shuffle(movable, new Random(random.nextLong())); // no bias towards the oldest sessions
        long slotMillis = Math.max(1, 1000L / settings.rate());
        for (int i = 0; i < count; i++) {
            Stream s = movable.get(i);
            String to = receivers.get(i);
            long at = i * slotMillis + random.nextLong(slotMillis);
            moving.put(s.session(), now);
            vertx.setTimer(Math.max(1, at), id -> move(s, to));
        }
        long spread = count * slotMillis;
        // The next round waits until the moves are done and every member has told its new load twice.
        quietUntil = now + Duration.ofMillis(spread).plus(loadInterval.multipliedBy(2)).toNanos();
        LOG.log(System.Logger.Level.INFO, "rebalancing: " + own + " sessions here, " + total + " on " + (ready.size() + 1)
                + " members (share " + share + ", slack " + slack + "): moving " + count + " over " + spread + " ms");
    }

    /** One entry per session each member below the share may take, the least loaded first, in turns. */
    static List<String> receivers(Map<String, Long> ready, long share) {
        TreeMap<String, Long> room = new TreeMap<>();
        for (Map.Entry<String, Long> e : ready.entrySet()) {
            if (e.getValue() < share) {
                room.put(e.getKey(), e.getValue());
            }
        }
        List<String> out = new ArrayList<>();
        while (!room.isEmpty()) {
            String least = null;
            for (Map.Entry<String, Long> e : room.entrySet()) {
                if (least == null || e.getValue() < room.get(least)) {
                    least = e.getKey();
                }
            }
            out.add(least);
            long load = room.get(least) + 1;
            if (load >= share) {
                room.remove(least);
            } else {
                room.put(least, load);
            }
        }
        return out;
    }

    /** Streams carrying a session that can move now: active, resumable, and not moved within two intervals. */
    private List<Stream> movable() {
        long recent = System.currentTimeMillis() - settings.interval().multipliedBy(2).toMillis();
        List<Stream> out = new ArrayList<>();
        for (Session session : sessions.all()) {
            List<Stream> streams = session.streams();
            if (streams.size() != 1 || session.lastResume() > recent) {
                continue;
            }
            Stream s = streams.get(0);
            if (s.active() && s.resumable()) {
                out.add(s);
            }
        }
        return out;
    }

    private void move(Stream s, String to) {
        if (!s.active() || draining.getAsBoolean()) {
            moving.remove(s.session());
            return;
        }
        s.goAway(MOVE_GRACE_MILLIS, to, MOVE_REASON);
        moved.incrementAndGet();
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
