package com.domomigrationproxy.domo;

/** No usable answer from Domo; {@link Kind} says how far the exchange got. */
class DomoTransportException extends RuntimeException {

    enum Kind {
        /** The connection could not be opened: Domo never saw the request. */
        CONNECT_FAILED,
        /** The deadline passed before the answer was complete. */
        DEADLINE,
        /** The connection broke after the request may have been sent. */
        BROKEN,
        /** The answer was longer than DOMO_MAX_RESPONSE_SIZE; the exchange was cut off. */
        TOO_LARGE
    }

    private final Kind kind;
    private final Integer status;

    DomoTransportException(Kind kind, Throwable cause) {
        this(kind, null, cause);
    }

    /** With the status of an answer whose status line came before the exchange failed, or null. */
    DomoTransportException(Kind kind, Integer status, Throwable cause) {
        super(kind.name(), cause, false, false);
        this.kind = kind;
        this.status = status;
    }

    Kind kind() {
        return kind;
    }

    /** The status Domo's answer began with, when it began before the exchange failed; else null. */
    Integer status() {
        return status;
    }

    /**
     * The innermost cause's class, e.g. {@code HttpClosedException}, for the log: its name says what
     * broke, and unlike a message it cannot quote anything that was sent.
     */
    String rootCause() {
        Throwable root = this;
        for (int depth = 0; depth < 32 && root.getCause() != null && root.getCause() != root; depth++) {
            root = root.getCause(); // bounded: a library's causes may form a cycle
        }
        return root == this ? "none" : root.getClass().getSimpleName();
    }
}
