package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dapstream.protocol.ChannelType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** Which handler serves which channel type. */
class ChannelRegistryTest {

    @Test
    void registerLookUpUnregister() {
        ChannelRegistry r = new ChannelRegistry();
        ChannelHandler h = new ChannelHandler() { };
        assertSame(r, r.register(ChannelType.FILE, h));
        assertSame(h, r.handler(ChannelType.FILE));
        assertSame(h, r.handler(new ChannelType(0x01)), "by code, not by instance");
        assertNull(r.handler(ChannelType.MEDIA));
        r.unregister(ChannelType.FILE);
        assertNull(r.handler(ChannelType.FILE));
    }

    @Test
    void oneHandlerPerType() {
        ChannelRegistry r = new ChannelRegistry();
        ChannelHandler h = new ChannelHandler() { };
        r.register(ChannelType.MEDIA, h);
        r.register(ChannelType.MEDIA, h); // the same one again is fine
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> r.register(ChannelType.MEDIA, new ChannelHandler() { }));
        assertEquals(true, e.getMessage().startsWith("channel type MEDIA is already served by "));
        assertSame(h, r.handler(ChannelType.MEDIA));
    }

    @Test
    void reservedTypesCannotBeServed() {
        ChannelRegistry r = new ChannelRegistry();
        for (int code = 0x07; code <= 0x0F; code++) {
            ChannelType t = new ChannelType(code);
            assertThrows(IllegalArgumentException.class, () -> r.register(t, new ChannelHandler() { }), t::toString);
        }
    }

    @Test
    void diagnosticsServeEchoAndDiscard() {
        ChannelRegistry r = ChannelRegistry.withDiagnostics();
        assertInstanceOf(EchoService.class, r.handler(ChannelType.ECHO));
        assertInstanceOf(DiscardService.class, r.handler(ChannelType.DISCARD));
        assertNull(r.handler(ChannelType.FILE));
    }

    @Test
    void aServiceRegistersUnderItsOwnType() {
        ChannelRegistry r = new ChannelRegistry().register(new EchoService());
        assertInstanceOf(EchoService.class, r.handler(ChannelType.ECHO));
    }

    @Test
    void registeredListsEveryTypeInCodeOrderAsASnapshot() {
        ChannelRegistry r = ChannelRegistry.withDiagnostics();
        ChannelHandler custom = new ChannelHandler() { };
        r.register(ChannelType.custom(0x20), custom);
        r.register(ChannelType.FILE, custom);
        Map<ChannelType, ChannelHandler> registered = r.registered();
        assertEquals(List.of(ChannelType.FILE, ChannelType.custom(0x20), ChannelType.ECHO, ChannelType.DISCARD),
                List.copyOf(registered.keySet()));
        assertSame(custom, registered.get(ChannelType.custom(0x20)));
        assertInstanceOf(EchoService.class, registered.get(ChannelType.ECHO));
        r.unregister(ChannelType.FILE);
        assertEquals(4, registered.size(), "a snapshot: later changes do not show");
        assertEquals(3, r.registered().size());
        assertThrows(UnsupportedOperationException.class, () -> registered.remove(ChannelType.ECHO));
    }
}
