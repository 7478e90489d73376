package com.domomigrationproxy.audit;

import java.time.Instant;
import java.util.UUID;

/** Walks the chain in sequence order and remembers the first event or operation that does not verify. */
final class ChainVerifier {

    private String previousHash = AuditChain.GENESIS;
    private long checked;
    private long operations;
    private Long lastSeq;
    private IntegrityReport.Failure firstInvalid;

    void accept(long seq, String kind, UUID operationId, String prevHash, String hash, Operation operation) {
        checked++;
        lastSeq = seq;
        if (firstInvalid == null) {
            String reason = check(kind, prevHash, hash, operation);
            if (reason != null) {
                firstInvalid = new IntegrityReport.Failure(seq, operationId, kind, reason);
            }
        }
        previousHash = hash;
    }

    void acceptOperation(UUID operationId, OperationState state, boolean reconciled, boolean hasIntent,
            boolean hasOutcome, boolean hasReconciliation) {
        operations++;
        if (firstInvalid != null) {
            return;
        }
        if (!hasIntent) {
            firstInvalid = new IntegrityReport.Failure(null, operationId, AuditChain.INTENT,
                    "the operation has no INTENT event: it was not written through the service");
        } else if (state != OperationState.PENDING && !hasOutcome) {
            firstInvalid = new IntegrityReport.Failure(null, operationId, AuditChain.OUTCOME,
                    "the operation is " + state + " but has no OUTCOME event");
        } else if (reconciled && !hasReconciliation) {
            firstInvalid = new IntegrityReport.Failure(null, operationId, AuditChain.RECONCILIATION,
                    "the operation is reconciled but has no RECONCILIATION event");
        }
    }

    IntegrityReport report(Instant verifiedAt) {
        return new IntegrityReport(firstInvalid == null, checked, operations, lastSeq,
                lastSeq == null ? null : previousHash, verifiedAt, firstInvalid);
    }

    private String check(String kind, String prevHash, String hash, Operation operation) {
        if (!previousHash.equals(prevHash)) {
            return "prev_hash does not match the previous event's hash: an event was removed, inserted or reordered";
        }
        if (operation == null) {
            return "the operation row of this event is missing";
        }
        String payload = AuditChain.payload(kind, operation);
        if (!AuditChain.hash(prevHash, payload).equals(hash)) {
            return "the hash does not match the operation row: the row or the event was altered";
        }
        return null;
    }
}
