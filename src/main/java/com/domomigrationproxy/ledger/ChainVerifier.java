package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Walks the chain in sequence order and remembers the first event or operation that does not
 * verify. Events about an operation are checked against the operation row as it is now.
 */
final class ChainVerifier {

    private static final Operation.Chain NO_LINKS = new Operation.Chain(null, null, null, null);

    private String previousHash = HashChain.GENESIS;
    private long checked;
    private long operations;
    private Long lastSeq;
    private IntegrityReport.Failure firstInvalid;

    /**
     * One event and the text its hash must cover: stored for events about no operation, rebuilt from
     * the operation row as it is now for the others (null when that row is missing).
     */
    void acceptEvent(long seq, String kind, UUID operationId, String prevHash, String hash, String payload) {
        checked++;
        lastSeq = seq;
        if (firstInvalid == null) {
            String reason = check(kind, operationId, prevHash, hash, payload);
            if (reason != null) {
                firstInvalid = new IntegrityReport.Failure(seq, operationId, kind, reason);
            }
        }
        previousHash = hash;
    }

    /**
     * One operation row and the links of its events as {@code audit_event} has them (null when it
     * has none): every event its state calls for must exist, and the row's copy of each link must
     * be the event's.
     */
    void acceptOperation(Operation operation, Operation.Chain events) {
        operations++;
        if (firstInvalid != null) {
            return;
        }
        UUID id = operation.operationId();
        Operation.Chain kept = operation.chain() == null ? NO_LINKS : operation.chain();
        Operation.Chain found = events == null ? NO_LINKS : events;
        if (found.intent() == null) {
            fail(id, HashChain.INTENT, "the operation has no INTENT event: it was not written through the service");
        } else if (operation.state() != OperationState.PENDING && found.outcome() == null) {
            fail(id, HashChain.OUTCOME, "the operation is " + operation.state() + " but has no OUTCOME event");
        } else if (operation.reconciliation() != null && found.reconciliation() == null) {
            fail(id, HashChain.RECONCILIATION, "the operation is reconciled but has no RECONCILIATION event");
        } else if (operation.review() != null && found.review() == null) {
            fail(id, HashChain.REVIEW, "the operation is flagged for review but has no REVIEW event");
        } else if (!Objects.equals(kept.intent(), found.intent())) {
            failLink(id, HashChain.INTENT);
        } else if (!Objects.equals(kept.outcome(), found.outcome())) {
            failLink(id, HashChain.OUTCOME);
        } else if (!Objects.equals(kept.reconciliation(), found.reconciliation())) {
            failLink(id, HashChain.RECONCILIATION);
        } else if (!Objects.equals(kept.review(), found.review())) {
            failLink(id, HashChain.REVIEW);
        }
    }

    /** The one-row head must name the last event: rows cut off the end of the chain show here. */
    void acceptHead(long headSeq, String headHash) {
        if (firstInvalid != null) {
            return;
        }
        long last = lastSeq == null ? 0 : lastSeq;
        if (headSeq != last || !headHash.equals(lastSeq == null ? HashChain.GENESIS : previousHash)) {
            firstInvalid = new IntegrityReport.Failure(lastSeq, null, null, "the chain head is at seq " + headSeq
                    + " but the last event is seq " + last + ": events were removed from the end or the head was altered");
        }
    }

    IntegrityReport report(Instant verifiedAt, CheckpointVerifier checkpoints) {
        return new IntegrityReport(firstInvalid == null && checkpoints.valid(), checked, operations, lastSeq,
                lastSeq == null ? null : previousHash, verifiedAt, firstInvalid, firstInvalid == null,
                checkpoints.valid(), checkpoints.checked(), checkpoints.firstInvalid());
    }

    private void failLink(UUID operationId, String kind) {
        fail(operationId, kind, "the operation row's copy of its " + kind
                + " link (seq, prev_hash, hash) is not the event's: the row was altered");
    }

    private void fail(UUID operationId, String kind, String reason) {
        firstInvalid = new IntegrityReport.Failure(null, operationId, kind, reason);
    }

    /** Sequence numbers need not be gap-free (before V4 they came from an identity); the hashes link the events. */
    private String check(String kind, UUID operationId, String prevHash, String hash, String payload) {
        if (!previousHash.equals(prevHash)) {
            return "prev_hash does not match the previous event's hash: an event was removed, inserted or reordered";
        }
        boolean aboutAnOperation = HashChain.OPERATION_EVENTS.contains(kind);
        if (payload == null) {
            if (!aboutAnOperation) {
                return "the event has no payload";
            }
            return operationId == null ? "an operation event names no operation" : "the operation row of this event is missing";
        }
        if (!HashChain.hash(prevHash, payload).equals(hash)) {
            return aboutAnOperation ? "the hash does not match the operation row: the row or the event was altered"
                    : "the hash does not match the event's payload: the event was altered";
        }
        return null;
    }
}
