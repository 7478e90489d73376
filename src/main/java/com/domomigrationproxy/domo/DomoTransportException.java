package com.domomigrationproxy.domo;

/** No answer from Domo; {@link #maybeSent()} tells whether Domo may have received the request. */
class DomoTransportException extends RuntimeException {

    enum Kind {
        /** The connection could not be opened: Domo never saw the request. */
        CONNECT_FAILED,
        /** The deadline passed before the answer was complete. */
        DEADLINE,
        /** The connection broke after the request may have been sent. */
        BROKEN
    }

    private final Kind kind;

    DomoTransportException(Kind kind, Throwable cause) {
        super(kind.name(), cause, false, false);
        this.kind = kind;
    }

    Kind kind() {
        return kind;
    }

    boolean maybeSent() {
        return kind != Kind.CONNECT_FAILED;
    }
}
