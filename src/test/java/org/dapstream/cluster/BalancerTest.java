package org.dapstream.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Round robin, least loaded and rendezvous hashing over members. */
class BalancerTest {
    record Member(long id, long load) implements Candidate {
    }

    private static List<Member> members(int n) {
        List<Member> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // ids shaped like a node address mixed with a session id, not 0, 1, 2 ...
            list.add(new Member(0x0123_4567_0000_0000L + ((long) (i % 3) << 32) + 1000 + i, 0));
        }
        return list;
    }

    private static byte[] key(int i) {
        return ("user-" + i).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parseKnowsTheThreeNames() {
        assertInstanceOf(Balancer.RoundRobin.class, Balancer.parse("round-robin"));
        assertInstanceOf(Balancer.LeastLoaded.class, Balancer.parse("least-loaded"));
        assertInstanceOf(Balancer.Hash.class, Balancer.parse(" Hash "));
        for (String name : new String[] {"round-robin", "least-loaded", "hash"}) {
            assertEquals(name, Balancer.parse(name).configName());
        }
        for (String bad : new String[] {"random", "", "roundrobin"}) {
            assertEquals("dap.stream.cluster.balancer must be one of round-robin, least-loaded, hash; got '" + bad + "'",
                    assertThrows(IllegalArgumentException.class, () -> Balancer.parse(bad)).getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Balancer.parse(null));
    }

    @Test
    void noCandidatesNoPick() {
        for (String name : new String[] {"round-robin", "least-loaded", "hash"}) {
            assertNull(Balancer.parse(name).pick(List.<Member>of(), key(1)), name);
            assertNull(Balancer.parse(name).pick(List.<Member>of(), null), name);
        }
    }

    @Test
    void roundRobinGivesEachMemberExactlyItsShare() {
        List<Member> list = members(7);
        Balancer balancer = Balancer.parse("round-robin");
        Map<Member, Integer> counts = new HashMap<>();
        int rounds = 1_000;
        for (int i = 0; i < list.size() * rounds; i++) {
            counts.merge(balancer.pick(list, key(i)), 1, Integer::sum);
        }
        assertEquals(list.size(), counts.size());
        counts.values().forEach(c -> assertEquals(rounds, c));
        // and in turn: two consecutive picks differ
        assertNotEquals(balancer.pick(list, null), balancer.pick(list, null));
    }

    @Test
    void roundRobinSharesExactlyUnderConcurrentSenders() throws InterruptedException {
        List<Member> list = members(5);
        Balancer balancer = Balancer.parse("round-robin");
        int perThread = 10_000;
        Map<Member, Integer> counts = new HashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                Map<Member, Integer> mine = new HashMap<>();
                for (int i = 0; i < perThread; i++) {
                    mine.merge(balancer.pick(list, null), 1, Integer::sum);
                }
                synchronized (counts) {
                    mine.forEach((m, c) -> counts.merge(m, c, Integer::sum));
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        counts.values().forEach(c -> assertEquals(4 * perThread / 5, c));
    }

    @Test
    void leastLoadedPicksTheSmallestLoad() {
        List<Member> list = List.of(new Member(1, 500), new Member(2, 40), new Member(3, 41), new Member(4, 9_000));
        Balancer balancer = Balancer.parse("least-loaded");
        for (int i = 0; i < 10; i++) {
            assertSame(list.get(1), balancer.pick(list, key(i)));
        }
    }

    @Test
    void leastLoadedRotatesAmongTies() {
        List<Member> list = List.of(new Member(1, 7), new Member(2, 3), new Member(3, 9), new Member(4, 3), new Member(5, 3));
        Balancer balancer = Balancer.parse("least-loaded");
        Map<Long, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(balancer.pick(list, null).id(), 1, Integer::sum);
        }
        assertEquals(Map.of(2L, 100, 4L, 100, 5L, 100), counts);
    }

    @Test
    void hashIsDeterministicPerKey() {
        List<Member> list = members(10);
        Balancer a = Balancer.parse("hash");
        Balancer b = Balancer.parse("hash");
        for (int i = 0; i < 1_000; i++) {
            Member first = a.pick(list, key(i));
            assertSame(first, a.pick(list, key(i)));
            assertSame(first, b.pick(list, key(i)), "another balancer instance agrees");
            List<Member> reversed = new ArrayList<>(list);
            Collections.reverse(reversed);
            assertSame(first, a.pick(reversed, key(i)), "the order of the members does not matter");
        }
    }

    @Test
    void hashSpreads100kKeysEvenlyOverTenMembers() {
        List<Member> list = members(10);
        Balancer balancer = Balancer.parse("hash");
        Map<Member, Integer> counts = new HashMap<>();
        int keys = 100_000;
        for (int i = 0; i < keys; i++) {
            counts.merge(balancer.pick(list, key(i)), 1, Integer::sum);
        }
        assertEquals(10, counts.size());
        for (int c : counts.values()) {
            assertTrue(Math.abs(c - keys / 10) <= keys / 100, "within 10% of 10000: " + counts.values());
        }
    }

    @Test
    void whenAMemberLeavesOnlyItsKeysMove() {
        List<Member> list = members(10);
        Balancer balancer = Balancer.parse("hash");
        int keys = 100_000;
        Member[] before = new Member[keys];
        for (int i = 0; i < keys; i++) {
            before[i] = balancer.pick(list, key(i));
        }
        Member leaving = list.get(4);
        List<Member> after = new ArrayList<>(list);
        after.remove(leaving);
        int moved = 0;
        for (int i = 0; i < keys; i++) {
            Member now = balancer.pick(after, key(i));
            if (before[i] == leaving) {
                moved++;
            } else {
                assertSame(before[i], now, "key " + i + " was not the leaving member's and moved");
            }
        }
        assertTrue(moved > keys / 20, "the leaving member had its share: " + moved);
    }

    @Test
    void whenAMemberJoinsOnlyItsShareMovesAllToIt() {
        List<Member> list = members(10);
        Balancer balancer = Balancer.parse("hash");
        int keys = 100_000;
        Member joining = new Member(0x0ABC_0000_0000_0001L, 0);
        List<Member> after = new ArrayList<>(list);
        after.add(joining);
        int moved = 0;
        for (int i = 0; i < keys; i++) {
            Member was = balancer.pick(list, key(i));
            Member now = balancer.pick(after, key(i));
            if (now != was) {
                assertSame(joining, now, "key " + i + " moved to a member that was already there");
                moved++;
            }
        }
        double share = moved / (double) keys;
        assertTrue(share > 0.9 / 11 && share < 1.1 / 11, "about 1/11 of the keys move: " + share);
    }

    @Test
    void hashWithoutAKeyIsRoundRobin() {
        List<Member> list = members(4);
        Balancer balancer = Balancer.parse("hash");
        Map<Member, Integer> counts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            counts.merge(balancer.pick(list, i % 2 == 0 ? null : new byte[0]), 1, Integer::sum);
        }
        assertEquals(4, counts.size());
        counts.values().forEach(c -> assertEquals(100, c));
    }

    @Test
    void keyHashSeesEveryByte() {
        // keys that differ in one byte only, at every position of a key longer than one 8-byte block
        byte[] base = "0123456789abcdefXYZ".getBytes(StandardCharsets.UTF_8);
        long h = Balancer.Hash.hash(base);
        for (int i = 0; i < base.length; i++) {
            byte[] other = base.clone();
            other[i] ^= 1;
            assertNotEquals(h, Balancer.Hash.hash(other), "byte " + i);
        }
        assertNotEquals(Balancer.Hash.hash(new byte[] {0}), Balancer.Hash.hash(new byte[] {0, 0}), "length counts");
    }
}
