package org.dapstream.ops.metrics;

import org.dapstream.protocol.ChannelType;

/**
 * The bounded {@code type} tag of channel metrics: the standard types by name, the built-in
 * echo and discard services by name, every other custom type (0x10-0xEF, 0xF2-0xFF) folded
 * into CUSTOM so an application's type codes cannot multiply the series.
 */
public enum ChannelTypeTag {
    CONTROL, FILE, SERVICE, SECURITY, MEDIA, LINK, CLUSTER, ECHO, DISCARD, CUSTOM;

    public static ChannelTypeTag of(ChannelType type) {
        if (type.equals(ChannelType.ECHO)) {
            return ECHO;
        }
        if (type.equals(ChannelType.DISCARD)) {
            return DISCARD;
        }
        return switch (type.code()) {
            case 0x00 -> CONTROL;
            case 0x01 -> FILE;
            case 0x02 -> SERVICE;
            case 0x03 -> SECURITY;
            case 0x04 -> MEDIA;
            case 0x05 -> LINK;
            case 0x06 -> CLUSTER;
            // Reserved codes (0x07-0x0F) are refused at open, so no open channel has one.
            default -> CUSTOM;
        };
    }
}
