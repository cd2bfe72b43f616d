package org.dapstream.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Round-trip times in a histogram of 1 ns .. 60 s with 3 significant digits. Not
 * thread-safe: one per event loop, merged once the loops are done.
 */
final class LatencyRecorder {
    static final long LOWEST_NANOS = 1;
    static final long HIGHEST_NANOS = 60_000_000_000L;
    static final int SIGNIFICANT_DIGITS = 3;
    private static final double NANOS_PER_MICRO = 1_000.0;

    private final Histogram histogram = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);

    /** Records one round trip; values outside the range are clamped to it. */
    void record(long nanos) {
        histogram.recordValue(Math.max(LOWEST_NANOS, Math.min(HIGHEST_NANOS, nanos)));
    }

    void add(LatencyRecorder other) {
        histogram.add(other.histogram);
    }

    long count() {
        return histogram.getTotalCount();
    }

    double percentileMicros(double percentile) {
        return histogram.getValueAtPercentile(percentile) / NANOS_PER_MICRO;
    }

    double maxMicros() {
        return histogram.getMaxValue() / NANOS_PER_MICRO;
    }

    /** HdrHistogram's percentile distribution (the {@code .hgrm} text), in microseconds. */
    void writePercentiles(PrintStream out) {
        histogram.outputPercentileDistribution(out, NANOS_PER_MICRO);
    }

    /** The percentile curve: (percentile, microseconds) points, {@code ticks} per halving of the distance to 100 %. */
    List<double[]> percentileCurve(int ticks) {
        List<double[]> points = new ArrayList<>();
        if (histogram.getTotalCount() == 0) {
            return points;
        }
        for (HistogramIterationValue v : histogram.percentiles(ticks)) {
            points.add(new double[] {v.getPercentileLevelIteratedTo(), v.getValueIteratedTo() / NANOS_PER_MICRO});
        }
        return points;
    }
}
