package org.dapstream.stream;

import java.util.ArrayList;
import java.util.List;

/**
 * The open channels of one stream by id: an int-keyed open-addressing table, so looking a
 * channel up per frame neither boxes nor allocates, and a stream with a few channels costs
 * a few dozen bytes whatever ids the peer picks.
 */
final class ChannelTable {
    private Channel[] slots = new Channel[8];
    private int size;

    Channel get(int id) {
        Channel[] s = slots;
        int mask = s.length - 1;
        for (int i = mix(id) & mask; ; i = (i + 1) & mask) {
            Channel c = s[i];
            if (c == null || c.id() == id) {
                return c;
            }
        }
    }

    void put(Channel channel) {
        if ((size + 1) * 2 > slots.length) {
            resize(slots.length * 2);
        }
        if (insert(slots, channel)) {
            size++;
        }
    }

    Channel remove(int id) {
        Channel[] s = slots;
        int mask = s.length - 1;
        int i = mix(id) & mask;
        while (s[i] != null && s[i].id() != id) {
            i = (i + 1) & mask;
        }
        Channel removed = s[i];
        if (removed == null) {
            return null;
        }
        s[i] = null;
        size--;
        // Backward-shift: re-seat the entries after the hole so every probe chain stays unbroken.
        for (int j = (i + 1) & mask; s[j] != null; j = (j + 1) & mask) {
            Channel moved = s[j];
            s[j] = null;
            insert(s, moved);
        }
        return removed;
    }

    int size() {
        return size;
    }

    List<Channel> all() {
        List<Channel> out = new ArrayList<>(size);
        for (Channel c : slots) {
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    private void resize(int capacity) {
        Channel[] old = slots;
        slots = new Channel[capacity];
        for (Channel c : old) {
            if (c != null) {
                insert(slots, c);
            }
        }
    }

    /** @return true when a new key was added, false when an entry was replaced */
    private static boolean insert(Channel[] s, Channel channel) {
        int mask = s.length - 1;
        for (int i = mix(channel.id()) & mask; ; i = (i + 1) & mask) {
            if (s[i] == null) {
                s[i] = channel;
                return true;
            }
            if (s[i].id() == channel.id()) {
                s[i] = channel;
                return false;
            }
        }
    }

    private static int mix(int id) {
        return id * 0x9E3779B1 >>> 16;
    }
}
