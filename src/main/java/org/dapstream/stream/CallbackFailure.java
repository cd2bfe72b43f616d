package org.dapstream.stream;

/**
 * How the engine reports an application callback that threw. A peer's input reaches
 * handlers, so a handler that throws on some input could otherwise be made to write a
 * stack trace per packet: one WARNING line says what failed and where, the trace goes to
 * DEBUG for the developer who asks for it.
 */
final class CallbackFailure {
    private CallbackFailure() {
    }

    static void log(System.Logger log, String what, Throwable e) {
        log.log(System.Logger.Level.WARNING, what + ": " + summary(e));
        log.log(System.Logger.Level.DEBUG, what, e);
    }

    /** The exception's class and message, and the frame that threw it. */
    static String summary(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        String where = trace.length == 0 ? "" : " (at " + trace[0] + ")";
        return e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + where;
    }
}
