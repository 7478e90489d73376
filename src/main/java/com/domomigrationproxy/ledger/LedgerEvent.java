package com.domomigrationproxy.ledger;

/**
 * What the ledger publishes as CDI events, so that metrics, log lines and the audit stream listen
 * instead of being called. Fired after the write committed (or, for {@link AuditWriteFailed} and an
 * unrecorded {@link OperationFinished}, after it failed); observers that care about commit use
 * {@code during = TransactionPhase.AFTER_SUCCESS}.
 */
public sealed interface LedgerEvent {

    /** The intent of an operation is committed: Domo is about to be called. */
    record OperationRecorded(Operation operation) implements LedgerEvent {
    }

    /**
     * An operation reached its outcome; fired once. {@code recorded} is false when the store could
     * not take it yet: the outcome is retried in the background, the operation stays PENDING meanwhile.
     */
    record OperationFinished(Operation operation, boolean recorded) implements LedgerEvent {
    }

    /** An unknown outcome was resolved, by the service from Domo's candidates or by a person. */
    record OperationReconciled(Operation operation) implements LedgerEvent {
    }

    /** Reconciliation could not tell the outcome: a person must resolve it. */
    record OperationFlagged(Operation operation) implements LedgerEvent {
    }

    /** An audit write could not be committed. */
    record AuditWriteFailed(Phase phase) implements LedgerEvent {
    }

    /** An event was appended to the hash chain. */
    record ChainAppended(long seq, String kind) implements LedgerEvent {
    }

    /** Which audit write failed: the intent (Domo was then not called) or the outcome (Domo had answered). */
    enum Phase {
        INTENT, OUTCOME;

        public String tag() {
            return name().toLowerCase();
        }
    }
}
