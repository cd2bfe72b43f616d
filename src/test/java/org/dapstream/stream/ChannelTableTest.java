package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The open-addressing channel table: collisions, growth, and backward-shift deletion. A broken
 * table tends to loop for ever rather than answer wrongly, hence the timeout in its own thread.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChannelTableTest {
    private final Stream owner = StreamHarness.acceptor().stream;

    private Channel channel(int id) {
        return new Channel(owner, id, ChannelType.FILE, null, Channel.State.OPEN, false);
    }

    /** The table's home slot for {@code id} at {@code capacity} (the same mix as ChannelTable). */
    private static int home(int id, int capacity) {
        return (id * 0x9E3779B1 >>> 16) & (capacity - 1);
    }

    /** The first {@code n} ids whose home slot is {@code slot} in a table of {@code capacity}. */
    private static List<Integer> idsWithHome(int slot, int capacity, int n) {
        List<Integer> ids = new ArrayList<>();
        for (int id = 1; ids.size() < n; id++) {
            if (home(id, capacity) == slot) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static void assertContainsExactly(ChannelTable t, Map<Integer, Channel> expected) {
        assertEquals(expected.size(), t.size());
        for (Map.Entry<Integer, Channel> e : expected.entrySet()) {
            assertSame(e.getValue(), t.get(e.getKey()), "id " + e.getKey());
        }
        List<Integer> all = t.all().stream().map(Channel::id).sorted().toList();
        assertEquals(expected.keySet().stream().sorted().toList(), all);
    }

    @Test
    void emptyTable() {
        ChannelTable t = new ChannelTable();
        assertEquals(0, t.size());
        assertNull(t.get(1));
        assertNull(t.remove(1));
        assertEquals(List.of(), t.all());
    }

    @Test
    void putGetRemove() {
        ChannelTable t = new ChannelTable();
        Channel a = channel(1);
        Channel b = channel(65535);
        t.put(a);
        t.put(b);
        assertSame(a, t.get(1));
        assertSame(b, t.get(65535));
        assertNull(t.get(2));
        assertSame(a, t.remove(1));
        assertNull(t.get(1));
        assertNull(t.remove(1), "removing twice");
        assertEquals(1, t.size());
    }

    @Test
    void putWithAnIdInUseReplaces() {
        ChannelTable t = new ChannelTable();
        Channel first = channel(7);
        Channel second = channel(7);
        t.put(first);
        t.put(second);
        assertEquals(1, t.size());
        assertSame(second, t.get(7));
        assertEquals(List.of(second), t.all());
    }

    @Test
    void collidingIdsAreAllReachable() {
        ChannelTable t = new ChannelTable();
        List<Integer> ids = idsWithHome(3, 8, 4); // 4 entries fit in 8 slots before growing
        Map<Integer, Channel> expected = new HashMap<>();
        for (int id : ids) {
            Channel c = channel(id);
            t.put(c);
            expected.put(id, c);
        }
        assertContainsExactly(t, expected);
    }

    /** Removing the head of a probe chain must shift the rest back, or they become unreachable. */
    @ParameterizedTest(name = "remove chain member {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void removingFromACollisionChainKeepsTheRestReachable(int which) {
        ChannelTable t = new ChannelTable();
        List<Integer> ids = idsWithHome(6, 8, 4); // chain 6, 7, 0, 1: it wraps around the end
        Map<Integer, Channel> expected = new HashMap<>();
        for (int id : ids) {
            Channel c = channel(id);
            t.put(c);
            expected.put(id, c);
        }
        int gone = ids.get(which);
        assertEquals(gone, t.remove(gone).id());
        expected.remove(gone);
        assertContainsExactly(t, expected);
        assertNull(t.get(gone));
    }

    @Test
    void aChainOfMixedHomesSurvivesDeletion() {
        ChannelTable t = new ChannelTable();
        // Two ids at home 5 and one each at 6 and 7 fill slots 5, 6, 7, 0 with displaced entries;
        // removals in an order that leaves holes in the middle of the run must keep all reachable.
        int a = idsWithHome(5, 8, 2).get(0);
        int b = idsWithHome(5, 8, 2).get(1);
        int c = idsWithHome(6, 8, 1).get(0);
        int d = idsWithHome(7, 8, 1).get(0);
        Map<Integer, Channel> expected = new HashMap<>();
        for (int id : List.of(a, b, c, d)) {
            Channel ch = channel(id);
            t.put(ch);
            expected.put(id, ch);
        }
        for (int id : List.of(a, c, b, d)) {
            t.remove(id);
            expected.remove(id);
            assertContainsExactly(t, expected);
        }
    }

    @Test
    void growsAndKeepsEverything() {
        ChannelTable t = new ChannelTable();
        Map<Integer, Channel> expected = new HashMap<>();
        for (int id = 1; id <= 65535; id += 13) {
            Channel c = channel(id);
            t.put(c);
            expected.put(id, c);
        }
        assertContainsExactly(t, expected);
    }

    @Test
    void holdsEveryChannelIdAtOnce() {
        ChannelTable t = new ChannelTable();
        for (int id = 1; id <= 65535; id++) {
            t.put(channel(id));
        }
        assertEquals(65535, t.size());
        for (int id = 1; id <= 65535; id++) {
            assertEquals(id, t.get(id).id());
        }
        for (int id = 1; id <= 65535; id += 2) {
            t.remove(id);
        }
        for (int id = 1; id <= 65535; id++) {
            Channel c = t.get(id);
            if (id % 2 == 1) {
                assertNull(c, "id " + id);
            } else {
                assertEquals(id, c.id());
            }
        }
    }

    /** Random puts, replaces and removes against a HashMap, on a small id range (many collisions) and the full one. */
    @ParameterizedTest(name = "ids 1..{0}")
    @ValueSource(ints = {16, 300, 65535})
    void behavesLikeAMap(int maxId) {
        Random random = new Random(20240611L + maxId);
        ChannelTable t = new ChannelTable();
        Map<Integer, Channel> model = new HashMap<>();
        for (int op = 0; op < 50_000; op++) {
            int id = 1 + random.nextInt(maxId);
            switch (random.nextInt(5)) {
                case 0, 1, 2 -> {
                    Channel c = channel(id);
                    t.put(c);
                    model.put(id, c);
                }
                case 3 -> assertSame(model.remove(id), t.remove(id), "remove " + id + " at op " + op);
                default -> assertSame(model.get(id), t.get(id), "get " + id + " at op " + op);
            }
            assertEquals(model.size(), t.size(), "size at op " + op);
            if (op % 997 == 0) {
                assertContainsExactly(t, model);
            }
        }
        assertContainsExactly(t, model);
        // Drain in random order: every remaining entry stays reachable until removed.
        List<Integer> left = new ArrayList<>(model.keySet());
        left.sort(Comparator.naturalOrder()); // HashMap order is not part of the seed
        java.util.Collections.shuffle(left, random);
        for (int id : left) {
            assertSame(model.remove(id), t.remove(id));
            // Checking every survivor after every removal is quadratic: do it on small tables only.
            if (model.size() <= 400) {
                for (Map.Entry<Integer, Channel> e : model.entrySet()) {
                    assertSame(e.getValue(), t.get(e.getKey()), "id " + e.getKey() + " after removing " + id);
                }
            }
        }
        assertEquals(0, t.size());
        assertTrue(t.all().isEmpty());
    }
}
