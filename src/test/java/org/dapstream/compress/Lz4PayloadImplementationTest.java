package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which lz4-java implementation runs: JNI by default, pure Java when told or in a native image. */
class Lz4PayloadImplementationTest {
    @Test
    void jniByDefaultOnThisMachine() {
        assertEquals("LZ4Factory:JNI", Lz4Payload.chooseFactory(false, false).toString());
        // The test JVM does not set dap.lz4.java-only, so the codec in use is the JNI one.
        assertEquals("LZ4Factory:JNI", Lz4Payload.implementation());
    }

    @Test
    void javaWhenToldOrInANativeImage() {
        assertEquals("LZ4Factory:JavaSafe", Lz4Payload.chooseFactory(true, false).toString());
        assertEquals("LZ4Factory:JavaSafe", Lz4Payload.chooseFactory(false, true).toString());
    }
}
