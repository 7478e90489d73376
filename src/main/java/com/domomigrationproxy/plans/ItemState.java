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

    /**
     * Whether an item in this state may be sent again: one of {@link #retryable()}, or an item a
     * preflight skipped after it was sent (it has an operation, and a verdict other than READY: a
     * skip for any other reason leaves READY). An operator's retry of an INCOMPLETE item, which Domo
     * may list as migrated, was undone by a preflight run again before the item's turn, and the item
     * could then never be retried (plans review).
     */
    public boolean retryable(boolean sent, Verdict verdict) {
        return retryable() || this == SKIPPED && sent && verdict != Verdict.READY;
    }
}
