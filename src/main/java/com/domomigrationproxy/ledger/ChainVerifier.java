package com.domomigrationproxy.ledger;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Walks the chain in sequence order and remembers the first event or operation that does not
 * verify, the last one and how many: every record is checked, so that a failure that stays (the
 * trail is append-only) never hides a later alteration. Events about an operation are checked
 * against the operation row as it is now.
 */
final class ChainVerifier {

    private static final JsonFactory JSON = new JsonFactory();
    /**
     * Stands for a member that is not a string, told apart by identity (a string member could hold
     * the same text); it never equals a stored column, which holds no U+0000 ({@link StorableText}).
     */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String NOT_A_STRING = new String("\u0000");
    private static final Operation.Chain NO_LINKS = new Operation.Chain(null, null, null, null);

    /**
     * From this seq on the chain must have no gaps, or null: the first seq a checkpoint covers.
     * Sequence numbers come from the chain head's row since V4, so a gap after a checkpoint is an
     * event removed and the rest linked again, which the hashes alone would not show (the offline
     * verifier applies the same rule).
     */
    private Long contiguousFrom;
    private String previousHash = HashChain.GENESIS;
    private long checked;
    private long operations;
    private Long lastSeq;
    private IntegrityReport.Failure firstInvalid;
    private IntegrityReport.Failure lastInvalid;
    private long invalid;

    /** Set before the first event: the first seq a checkpoint covers, or null. */
    void contiguousFrom(Long seq) {
        contiguousFrom = seq;
    }

    /**
     * One event and the text its hash must cover: stored for events about no operation, rebuilt from
     * the operation row as it is now for the others (null when that row is missing).
     */
    void acceptEvent(ChainEvent event) {
        checked++;
        Long previousSeq = lastSeq;
        lastSeq = event.seq();
        String reason = check(event);
        if (reason == null && contiguousFrom != null && previousSeq != null && previousSeq >= contiguousFrom
                && event.seq() != previousSeq + 1) {
            reason = "seq " + (previousSeq + 1) + " to " + (event.seq() - 1) + " are missing after a checkpoint:"
                    + " events were removed and the chain linked again";
        }
        if (reason != null) {
            record(new IntegrityReport.Failure(event.seq(), event.operationId(), event.type(), reason));
        }
        previousHash = event.hash();
    }

    /**
     * One operation row and the links of its events as {@code audit_event} has them (null when it
     * has none): every event its state calls for must exist, and the row's copy of each link must
     * be the event's.
     */
    void acceptOperation(Operation operation, Operation.Chain events) {
        operations++;
        UUID id = operation.operationId();
        Operation.Chain kept = operation.chain() == null ? NO_LINKS : operation.chain();
        Operation.Chain found = events == null ? NO_LINKS : events;
        if (found.intent() == null) {
            fail(id, HashChain.INTENT, "the operation has no INTENT event: it was not written through the service");
        } else if (operation.state() != OperationState.PENDING && found.outcome() == null) {
            fail(id, HashChain.OUTCOME, "the operation is " + operation.state() + " but has no OUTCOME event");
        } else if (found.outcome() == null && !Outcome.PENDING.equals(operation.outcome())) {
            // No legitimate path gives a PENDING row an outcome without the event (a late answer is an
            // event of its own), and no hash covers what it holds.
            fail(id, HashChain.OUTCOME, "the operation holds an outcome but has no OUTCOME event: the row was altered");
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

    /** An operation row no Operation can hold ({@link OperationRows.UnreadableRow}): altered, named with why. */
    void unreadable(UUID operationId, String reason) {
        operations++;
        fail(operationId, HashChain.INTENT, reason + ": the row was altered");
    }

    /** The one-row head must name the last event: rows cut off the end of the chain show here. */
    void acceptHead(long headSeq, String headHash) {
        long last = lastSeq == null ? 0 : lastSeq;
        if (headSeq != last || !headHash.equals(lastSeq == null ? HashChain.GENESIS : previousHash)) {
            record(new IntegrityReport.Failure(lastSeq, null, null, "the chain head is at seq " + headSeq
                    + " but the last event is seq " + last + ": events were removed from the end or the head was altered"));
        }
    }

    IntegrityReport report(Instant verifiedAt, CheckpointVerifier checkpoints) {
        return new IntegrityReport(firstInvalid == null && checkpoints.valid(), checked, operations, lastSeq,
                lastSeq == null ? null : previousHash, verifiedAt, firstInvalid, firstInvalid == null,
                checkpoints.valid(), checkpoints.checked(), checkpoints.firstInvalid(), invalid,
                invalid > 1 ? lastInvalid : null, checkpoints.invalid(),
                checkpoints.invalid() > 1 ? checkpoints.lastInvalid() : null);
    }

    private void record(IntegrityReport.Failure failure) {
        if (firstInvalid == null) {
            firstInvalid = failure;
        }
        lastInvalid = failure;
        invalid++;
    }

    private void failLink(UUID operationId, String kind) {
        fail(operationId, kind, "the operation row's copy of its " + kind
                + " link (seq, prev_hash, hash) is not the event's: the row was altered");
    }

    private void fail(UUID operationId, String kind, String reason) {
        record(new IntegrityReport.Failure(null, operationId, kind, reason));
    }

    /** Before the first checkpoint sequence numbers need not be gap-free (before V4 they came from an identity). */
    private String check(ChainEvent event) {
        String kind = event.type();
        String payload = event.payload();
        if (!previousHash.equals(event.prevHash())) {
            return "prev_hash does not match the previous event's hash: an event was removed, inserted or reordered";
        }
        boolean aboutAnOperation = HashChain.OPERATION_EVENTS.contains(kind);
        if (payload == null) {
            if (!aboutAnOperation) {
                return "the event has no payload";
            }
            return event.operationId() == null ? "an operation event names no operation"
                    : "the operation row of this event is missing, or holds values the service never writes";
        }
        if (!HashChain.hash(event.prevHash(), payload).equals(event.hash())) {
            return aboutAnOperation ? "the hash does not match the operation row: the row or the event was altered"
                    : "the hash does not match the event's payload: the event was altered";
        }
        if (aboutAnOperation) {
            // Its payload is rebuilt from the row by kind, so the hash covers kind and operation; it has no subject.
            return event.subject() == null ? null : "an operation event has a subject: the event was altered";
        }
        return coveredColumns(event);
    }

    /** The columns of an event about no operation that its payload repeats, compared with it. */
    private static String coveredColumns(ChainEvent event) {
        Map<String, String> members = topLevelStrings(event.payload());
        if (members == null) {
            return "the payload is not a JSON object";
        }
        if (!event.type().equals(members.get(HashChain.EVENT))) {
            return "the event's type is not its payload's event: the event was altered";
        }
        if (event.operationId() != null) {
            // Not covered by the hash, and the exports would attribute the event to that operation.
            return "an event about no operation names an operation: the event was altered";
        }
        String subject;
        if (members.containsKey(HashChain.SUBJECT)) {
            subject = members.get(HashChain.SUBJECT);
        } else {
            String member = HashChain.legacySubjectMember(event.type());
            String value = member == null ? null : members.get(member);
            subject = value == NOT_A_STRING ? value : StorableText.of(value);
        }
        if (!Objects.equals(subject, event.subject())) {
            return "the event's subject is not the one its payload names: the event was altered";
        }
        if (members.containsKey(HashChain.RECORDED_AT)) {
            if (!sameInstant(members.get(HashChain.RECORDED_AT), event.recordedAt())) {
                return "the event's recorded_at is not its payload's recordedAt: the event was altered";
            }
        }
        return null;
    }

    /**
     * The payload's top-level members whose values are strings or null; any other value reads as
     * {@link #NOT_A_STRING}, which no column holds. Null when the payload is not a JSON object.
     */
    private static Map<String, String> topLevelStrings(String payload) {
        Map<String, String> members = new HashMap<>();
        try (JsonParser parser = JSON.createParser(payload)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_STRING) {
                    members.put(name, parser.getText());
                } else if (value == JsonToken.VALUE_NULL) {
                    members.put(name, null);
                } else {
                    members.put(name, NOT_A_STRING);
                    parser.skipChildren();
                }
            }
            // One object and nothing after it, as the offline verifier's JSON parser requires too.
            return parser.currentToken() == JsonToken.END_OBJECT && parser.nextToken() == null ? members : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean sameInstant(String text, Instant instant) {
        try {
            return text != null && instant != null && Instant.parse(text).equals(instant);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
