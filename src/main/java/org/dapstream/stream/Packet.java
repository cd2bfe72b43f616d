package org.dapstream.stream;

import org.dapstream.protocol.PacketType;

/** A packet kept for pull-mode reading ({@link Channel#read()}): its type and an owned copy of its payload. */
public record Packet(PacketType type, byte[] data) {
}
