package org.dapstream.stream;

/**
 * A send rate limit: frame bytes on the wire (header, AEAD tag included; compressed frames
 * count their compressed size) and frames per second; 0 means no limit of that kind. Applied to application frames (DATA and CONTROL on
 * channels) by delaying them; MEDIA channels drop their oldest queued messages instead
 * once their queue is full.
 */
public record RateLimit(long bytesPerSecond, long framesPerSecond) {
    public static final RateLimit NONE = new RateLimit(0, 0);

    public RateLimit {
        if (bytesPerSecond < 0 || framesPerSecond < 0) {
            throw new IllegalArgumentException("rate limits are >= 0 (0: none), got " + bytesPerSecond + " B/s, " + framesPerSecond + " frames/s");
        }
    }

    public boolean limited() {
        return bytesPerSecond > 0 || framesPerSecond > 0;
    }
}
