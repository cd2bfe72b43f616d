package org.dapstream.stream;

/**
 * Whether the stream reads its connection: pauses are counted (the output budget and the
 * application may each pause, and each pause needs its resume), and the transport is told
 * only on the first pause and the last resume. An unbalanced resume is ignored. Event-loop confined.
 */
final class ReadPauses {
    private final StreamTransport transport;
    private int requests;

    ReadPauses(StreamTransport transport) {
        this.transport = transport;
    }

    void pause() {
        if (requests++ == 0) {
            transport.pauseReading();
        }
    }

    void resume() {
        if (requests > 0 && --requests == 0) {
            transport.resumeReading();
        }
    }

    boolean paused() {
        return requests > 0;
    }
}
