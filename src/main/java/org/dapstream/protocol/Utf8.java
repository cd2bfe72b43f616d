package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 for reason texts: a malformed sequence is the peer's error, never replaced silently. */
final class Utf8 {
    private Utf8() {
    }

    /** Decodes the rest of {@code b}; {@code what} names the field in the error. */
    static String decode(ByteBuffer b, ErrorCode code, String what) throws ProtocolException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(b).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(code, what + " is not valid UTF-8");
        }
    }
}
