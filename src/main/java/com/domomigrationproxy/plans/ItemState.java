package com.domomigrationproxy.plans;

/**
 * Where an item of a plan stands: waiting its turn, running (claimed by a replica, or sent with its
 * operation's outcome not yet known), skipped, or the state its operation ended in (the
 * reconciled state once an unknown outcome was reconciled).
 */
public enum ItemState {
    WAITING,
    RUNNING,
    SKIPPED,
    COMPLETE,
    INCOMPLETE,
    ABORTED,
    FAILED,
    UNKNOWN;

    /** States an operator may send again with POST …/items/{itemId}/retry. */
    public boolean retryable() {
        return this == INCOMPLETE || this == ABORTED || this == FAILED;
    }
}
