package org.dapstream.ops;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Rewrites the engine's validation messages, which name constructor parameters
 * ({@code keepAliveTimeout must be a positive duration, got PT-1S}), into ones that name the
 * configuration key and the value an operator wrote
 * ({@code dap.stream.keepalive.timeout=-1s: must be a positive duration}).
 */
public final class ConfigErrors {
    private ConfigErrors() {
    }

    /**
     * The settings of one engine object: each engine parameter name with its key and value,
     * in the order the engine checks them.
     */
    public static final class Settings {
        private final Map<String, String> keyed = new LinkedHashMap<>();

        /** {@code parameter} as the engine's messages name it, {@code key} and {@code value} as configured. */
        public Settings with(String parameter, String key, Object value) {
            keyed.put(parameter, key + "=" + show(value));
            return this;
        }

        /**
         * Builds with {@code build}; an {@link IllegalArgumentException} is rethrown naming the
         * key and value of the parameter its message starts with (or all of them when it names none).
         */
        public <T> T build(Supplier<T> build) {
            try {
                return build.get();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(explain(e.getMessage()), e);
            }
        }

        String explain(String message) {
            String text = message == null ? "invalid" : message;
            String best = null;
            for (String parameter : keyed.keySet()) {
                if ((text.startsWith(parameter + " ")) && (best == null || parameter.length() > best.length())) {
                    best = parameter;
                }
            }
            if (best == null) {
                return String.join(", ", keyed.values()) + ": " + text;
            }
            String rest = text.substring(best.length()).trim()
                    .replaceFirst("^\\(-?\\d+\\) ", "") // the value itself, already shown after the key
                    .replaceFirst(", got [^,]*$", "");
            return keyed.get(best) + ": " + rest;
        }
    }

    public static Settings settings() {
        return new Settings();
    }

    /** A value as written in application.properties: durations as {@code 500ms} / {@code 30s}, not {@code PT30S}. */
    static String show(Object value) {
        if (value instanceof Duration d) {
            long millis = d.toMillis();
            return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
        }
        return String.valueOf(value);
    }
}
