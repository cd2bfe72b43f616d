package org.dapstream.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Timers driven by the test: {@link #advance} moves the {@link FakeClock} to each due timer in
 * turn, runs it, and ends at the target time. Timers due at the same instant run in the order
 * they became due (registration order, then re-arm order). Nothing runs on its own.
 */
final class ManualScheduler {
    private final FakeClock clock;
    private final List<Timer> timers = new ArrayList<>();
    private long order;

    ManualScheduler(FakeClock clock) {
        this.clock = clock;
    }

    FakeClock clock() {
        return clock;
    }

    /** Runs {@code task} every {@code periodMillis}, the first time one period from now. */
    Timer every(long periodMillis, Runnable task) {
        if (periodMillis <= 0) {
            throw new IllegalArgumentException("period must be positive: " + periodMillis);
        }
        return add(periodMillis, periodMillis, task);
    }

    /** Runs {@code task} once, {@code delayMillis} from now. */
    Timer after(long delayMillis, Runnable task) {
        if (delayMillis < 0) {
            throw new IllegalArgumentException("delay must not be negative: " + delayMillis);
        }
        return add(delayMillis, 0, task);
    }

    private Timer add(long delayMillis, long periodMillis, Runnable task) {
        Timer t = new Timer(clock.elapsedNanos() + delayMillis * 1_000_000, periodMillis, task, ++order);
        timers.add(t);
        return t;
    }

    /** Advances the clock by {@code d}, running every timer that falls due on the way, in time order. */
    void advance(Duration d) {
        long target = clock.elapsedNanos() + d.toNanos();
        while (true) {
            Timer next = timers.stream()
                    .filter(t -> t.dueNanos <= target)
                    .min(Comparator.comparingLong((Timer t) -> t.dueNanos).thenComparingLong(t -> t.order))
                    .orElse(null);
            if (next == null) {
                break;
            }
            clock.setElapsedNanos(next.dueNanos);
            if (next.periodMillis == 0) {
                timers.remove(next);
            } else {
                next.dueNanos += next.periodMillis * 1_000_000;
                next.order = ++order;
            }
            next.runs++;
            next.task.run();
        }
        clock.setElapsedNanos(target);
    }

    void advanceMillis(long millis) {
        advance(Duration.ofMillis(millis));
    }

    /** Timers not yet cancelled (a one-shot that ran is gone). */
    List<Timer> timers() {
        return List.copyOf(timers);
    }

    /** A registered timer; cancelling removes it. */
    final class Timer implements org.dapstream.stream.StreamTransport.Cancellable {
        final long periodMillis;
        final Runnable task;
        long dueNanos;
        long order;
        int runs;
        boolean cancelled;

        Timer(long dueNanos, long periodMillis, Runnable task, long order) {
            this.dueNanos = dueNanos;
            this.periodMillis = periodMillis;
            this.task = task;
            this.order = order;
        }

        boolean periodic() {
            return periodMillis > 0;
        }

        @Override
        public void cancel() {
            cancelled = true;
            timers.remove(this);
        }
    }
}
