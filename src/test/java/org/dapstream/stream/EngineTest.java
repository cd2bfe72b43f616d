package org.dapstream.stream;

import org.junit.jupiter.api.AfterEach;

/** Base of the engine tests: after each test, every harness it made must have used its transport by the contract. */
abstract class EngineTest {
    @AfterEach
    void transportContractHeld() {
        FrameTrace.enable(false);
        StreamHarness.checkAllAndForget();
    }
}
