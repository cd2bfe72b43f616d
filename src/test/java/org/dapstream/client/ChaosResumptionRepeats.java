package org.dapstream.client;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A long run, not a CI test (tagged {@code soak}): {@link ChaosResumptionTest} again and again in
 * one JVM, to find the interleavings a single run rarely meets. It stops at the first failure.
 * On this 2-core machine a loaded CI run is approached by running it beside two busy loops
 * ({@code for k in 1 2; do (timeout 900 sh -c 'while :; do :; done' &) ; done}).
 *
 * <pre>
 * ./mvnw -B -ntp -o test -Dtest=ChaosResumptionRepeats -Ddap.test.excludedGroups=jazzer -Ddap.chaos.repeats=150 -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("soak")
class ChaosResumptionRepeats {
    static final int REPEATS = Integer.getInteger("dap.chaos.repeats", 20);

    @Test
    void theChaosRunAgainAndAgain() throws Exception {
        for (int run = 1; run <= REPEATS; run++) {
            System.out.println("chaos repeats: run " + run + " of " + REPEATS);
            new ChaosResumptionTest().everyMessageArrivesOnceInOrderThroughRandomCuts();
        }
    }
}
