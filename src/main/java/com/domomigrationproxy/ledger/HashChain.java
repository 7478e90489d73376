package com.domomigrationproxy.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The SHA-256 hash chain over every audit event. Each event's hash covers the previous event's
 * hash and the event's canonical JSON:
 *
 * <pre>hash = sha256_hex(prev_hash + "\n" + canonical_json)</pre>
 *
 * Canonical JSON: the event's members sorted by name, no whitespace, UTF-8, strings JSON-escaped,
 * instants in ISO-8601 UTC as Java's {@link Instant#toString()} writes them. Events about an
 * operation rebuild theirs from the operation row, with null members kept except those added after
 * the first version ({@code planId}, {@code scopes}, {@code reconciledBy}), which are left out
 * when null so that older events still verify ({@code scopes} nests the grant's lists, sorted like
 * every other member); every other event stores its JSON. The first event's prev_hash is 64 zeros.
 * docs/audit.md has a worked example.
 */
public final class HashChain {

    public static final String GENESIS = "0".repeat(64);
    /** An event's hash and prev_hash as the API shows them: lowercase hex SHA-256, anchored for OpenAPI. */
    public static final String HASH_PATTERN = "^[0-9a-f]{64}$";
    public static final String INTENT = "INTENT";
    public static final String OUTCOME = "OUTCOME";
    public static final String RECONCILIATION = "RECONCILIATION";
    public static final String REVIEW = "REVIEW";
    /** The kinds whose JSON is rebuilt from an operation row. */
    public static final Set<String> OPERATION_EVENTS = Set.of(INTENT, OUTCOME, RECONCILIATION, REVIEW);

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    /**
     * Advances the one-row head and inserts the event from what it returns: the head's row lock
     * serialises appenders on every replica until commit, so seq order is commit order, without
     * gaps. PostgreSQL's sha256 over the UTF-8 bytes is the rule of {@link #hash}, which the
     * verifiers apply.
     */
    private static final String APPEND = """
            WITH head AS (
                UPDATE audit_chain_head
                   SET seq = seq + 1, prev_hash = hash,
                       hash = encode(sha256(convert_to(hash || chr(10) || ?, 'UTF8')), 'hex')
                 WHERE id = 1
             RETURNING seq, prev_hash, hash)
            INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
            SELECT seq, ?, ?, ?, ?, prev_hash, hash FROM head
            RETURNING seq, prev_hash, hash, recorded_at""";

    /**
     * {@link #APPEND} after a change to an operation row, in the same statement: the head advances
     * and the event is inserted only when the change matched a row. The write path sends the row and
     * its event in one round trip while the head's lock is held, instead of two.
     */
    private static final String APPEND_AFTER = """
            WITH changed AS (%s RETURNING operation_id),
            head AS (
                UPDATE audit_chain_head
                   SET seq = seq + 1, prev_hash = hash,
                       hash = encode(sha256(convert_to(hash || chr(10) || ?, 'UTF8')), 'hex')
                 WHERE id = 1 AND EXISTS (SELECT 1 FROM changed)
             RETURNING seq, prev_hash, hash)
            INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
            SELECT seq, ?, ?, NULL, NULL, prev_hash, hash FROM head
            RETURNING seq, prev_hash, hash, recorded_at""";

    private HashChain() {
    }

    /** The intent event: what was asked, by whom, when. */
    static String intentPayload(Operation operation) {
        OperationIntent intent = operation.intent();
        Map<String, Object> event = event(INTENT, operation.operationId());
        event.put("direction", intent.direction().name());
        event.put("datasourceId", intent.datasourceId());
        event.put("accountId", intent.accountId());
        event.put("catalog", intent.catalog());
        event.put("schema", intent.schema());
        event.put("table", intent.table());
        event.put("requestedBy", intent.requestedBy());
        event.put("authMethod", intent.authMethod());
        event.put("requestId", intent.requestId());
        event.put("clientAddress", intent.clientAddress());
        event.put("requestedAt", text(intent.requestedAt()));
        if (intent.planId() != null) {
            event.put("planId", intent.planId().toString());
        }
        if (intent.scopes() != null) {
            event.put("scopes", intent.scopes().members());
        }
        return canonical(event);
    }

    /** The outcome event: what happened. */
    static String outcomePayload(Operation operation) {
        Outcome outcome = operation.outcome();
        Map<String, Object> event = event(OUTCOME, operation.operationId());
        event.put("state", outcome.state().name());
        event.put("toe", outcome.toe());
        event.put("startTime", outcome.startTime());
        event.put("endTime", outcome.endTime());
        event.put("errorMessage", outcome.errorMessage());
        event.put("upstreamStatus", outcome.upstreamStatus());
        event.put("durationMs", outcome.durationMs());
        event.put("completedAt", text(outcome.completedAt()));
        return canonical(event);
    }

    /** The reconciliation event: what Domo showed later about an unknown outcome, or what a person recorded. */
    static String reconciliationPayload(Operation operation) {
        Operation.Reconciliation reconciliation = operation.reconciliation();
        Map<String, Object> event = event(RECONCILIATION, operation.operationId());
        event.put("reconciledState", reconciliation == null ? null : reconciliation.state().name());
        event.put("reconciledAt", reconciliation == null ? null : text(reconciliation.at()));
        event.put("reconciliationNote", reconciliation == null ? null : reconciliation.note());
        if (reconciliation != null && reconciliation.by() != null) {
            event.put("reconciledBy", reconciliation.by());
        }
        return canonical(event);
    }

    /** The review event: reconciliation could not tell, a person must. */
    static String reviewPayload(Operation operation) {
        Operation.Review review = operation.review();
        Map<String, Object> event = event(REVIEW, operation.operationId());
        event.put("reviewReason", review == null ? null : review.reason());
        event.put("reviewFlaggedAt", review == null ? null : text(review.flaggedAt()));
        return canonical(event);
    }

    /** The canonical JSON of an operation event of this kind, rebuilt from the operation. */
    static String payload(String kind, Operation operation) {
        return switch (kind) {
            case INTENT -> intentPayload(operation);
            case OUTCOME -> outcomePayload(operation);
            case RECONCILIATION -> reconciliationPayload(operation);
            case REVIEW -> reviewPayload(operation);
            default -> throw new IllegalArgumentException(kind + " is not an operation event");
        };
    }

    /** The canonical JSON of an event about no operation: its members plus {@code event}. */
    static String payload(String kind, Map<String, ?> members) {
        Map<String, Object> event = new TreeMap<>(members);
        event.put("event", kind);
        return canonical(event);
    }

    public static String hash(String previousHash, String payload) {
        return Sha256.hex(previousHash + "\n" + payload);
    }

    /** Where an event landed in the chain. */
    record Appended(long seq, String prevHash, String hash, Instant recordedAt) {

        Operation.Link link() {
            return new Operation.Link(seq, prevHash, hash);
        }
    }

    /** Appends an event in the connection's transaction. */
    static Appended append(Connection connection, String kind, UUID operationId, String subject,
            String payload) throws SQLException {
        boolean aboutAnOperation = operationId != null;
        try (PreparedStatement statement = connection.prepareStatement(APPEND)) {
            Sql.bind(statement, payload, operationId, kind, subject, aboutAnOperation ? null : payload);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("The audit chain head is missing");
                }
                return new Appended(row.getLong(1), row.getString(2), row.getString(3), Sql.instant(row, 4));
            }
        }
    }

    /**
     * Runs {@code change} (an INSERT or UPDATE of one operation row, without RETURNING) and appends
     * the operation's event of this kind in the same statement when the change matched a row; empty
     * when it matched none (nothing was appended).
     */
    static Optional<Appended> appendAfter(Connection connection, String change, Object[] changeParameters,
            String kind, UUID operationId, String payload) throws SQLException {
        Object[] parameters = Arrays.copyOf(changeParameters, changeParameters.length + 3);
        parameters[changeParameters.length] = payload;
        parameters[changeParameters.length + 1] = operationId;
        parameters[changeParameters.length + 2] = kind;
        try (PreparedStatement statement = connection.prepareStatement(APPEND_AFTER.formatted(change))) {
            Sql.bind(statement, parameters);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Appended(row.getLong(1), row.getString(2), row.getString(3), Sql.instant(row, 4)));
            }
        }
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static Map<String, Object> event(String kind, UUID operationId) {
        Map<String, Object> event = new TreeMap<>();
        event.put("event", kind);
        event.put("operationId", operationId.toString());
        return event;
    }

    private static String canonical(Map<String, Object> event) {
        try {
            return CANONICAL.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Audit events hold plain strings, numbers, booleans, lists and maps", e);
        }
    }
}
