package com.domomigrationproxy.ledger;

/** Domo's three result states plus ours (see the contract). */
public enum OperationState {
    /** Sent or about to be sent; outcome not yet known. */
    PENDING,
    /** Domo: done. */
    COMPLETE,
    /** Domo: failed after changes were made; content may be broken until re-attempted. */
    INCOMPLETE,
    /** Domo: failed before any change. */
    ABORTED,
    /**
     * No Domo result: Domo answered with an error status or a success that is no JSON at all (a
     * proxy's page), or was never reached.
     */
    FAILED,
    /** The request may have reached Domo but no answer came in time. */
    UNKNOWN
}
