package org.dapstream.cli;

import java.io.Console;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Whether this process talks to a person at a terminal (then progress is one live line). */
public final class Terminal {
    private Terminal() {
    }

    /**
     * Up to JDK 21 that is {@code System.console() != null}; from JDK 22 a console exists even
     * when redirected, and {@code Console.isTerminal()} (not in the JDK 17 API this compiles
     * against) tells.
     */
    public static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (boolean) MethodHandles.publicLookup().findVirtual(Console.class, "isTerminal", MethodType.methodType(boolean.class))
                    .invoke(console);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return true; // JDK 17 to 21: a console is a terminal
        } catch (Throwable e) {
            return false;
        }
    }
}
