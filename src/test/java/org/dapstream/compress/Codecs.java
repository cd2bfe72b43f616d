package org.dapstream.compress;

import net.jpountz.lz4.LZ4Factory;

/** The two lz4-java implementations Lz4Payload may run on, by name, for tests that cover both. */
final class Codecs {
    static final String JNI = "JNI";
    static final String JAVA = "Java";
    private static final Lz4Codec JNI_CODEC = new Lz4Codec(LZ4Factory.nativeInstance());
    private static final Lz4Codec JAVA_CODEC = new Lz4Codec(LZ4Factory.safeInstance());

    private Codecs() {
    }

    static Lz4Codec of(String name) {
        return name.equals(JNI) ? JNI_CODEC : JAVA_CODEC;
    }
}
