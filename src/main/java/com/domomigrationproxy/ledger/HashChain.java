package com.domomigrationproxy.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import org.jboss.logging.Logger;
import org.postgresql.util.PSQLException;

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
 * every other member); every other event stores its JSON, which repeats the row's subject and time. The first event's prev_hash is 64 zeros.
 * docs/audit.md has a worked example.
 */
public final class HashChain {

    private static final Logger LOG = Logger.getLogger(HashChain.class);

    public static final String GENESIS = "0".repeat(64);
    /** An event's hash and prev_hash as the API shows them: lowercase hex SHA-256, anchored for OpenAPI. */
    public static final String HASH_PATTERN = "^[0-9a-f]{64}$";
    public static final String INTENT = "INTENT";
    public static final String OUTCOME = "OUTCOME";
    public static final String RECONCILIATION = "RECONCILIATION";
    public static final String REVIEW = "REVIEW";
    /** The payload's members that repeat the row's kind, subject and time (the last two: events about no operation). */
    static final String EVENT = "event";
    static final String SUBJECT = "subject";
    static final String RECORDED_AT = "recordedAt";
    /** The kinds whose JSON is rebuilt from an operation row. */
    public static final Set<String> OPERATION_EVENTS = Set.of(INTENT, OUTCOME, RECONCILIATION, REVIEW);

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    /**
     * The one-row head advanced by one link, its hash over the payload (the first parameter),
     * {@code %s} a further condition: the head's row lock serialises appenders on every replica
     * until commit, so seq order is commit order, without gaps. PostgreSQL's sha256 over the UTF-8
     * bytes is the rule of {@link #hash}, which the verifiers apply.
     */
    private static final String HEAD = """
            head AS (
                UPDATE audit_chain_head
                   SET seq = seq + 1, prev_hash = hash,
                       hash = encode(sha256(convert_to(hash || chr(10) || ?, 'UTF8')), 'hex')
                 WHERE id = 1%s
             RETURNING seq, prev_hash, hash)""";

    /** The head advanced, and the event inserted from what it returns. */
    private static final String APPEND = "WITH " + HEAD.formatted("") + "\n" + """
            INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash, recorded_at)
            SELECT seq, ?, ?, ?, ?, prev_hash, hash, ? FROM head
            RETURNING seq, prev_hash, hash, recorded_at""";

    /**
     * An operation row inserted with its link, and its event: the head advances first and the row
     * takes the link the head returns, in the statement that inserts the event, so that the row
     * carries its link from the start. The row's values are taken per row of the head, so after its
     * row lock (a new grant is stored by its values under that lock, V24). Parameters: the payload,
     * the row's values, the event's operation id and kind.
     */
    private static final String APPEND_INSERT = "WITH " + HEAD.formatted("") + ",\n" + """
            changed AS (
                INSERT INTO operation (%1$s, %3$s_seq, %3$s_prev_hash, %3$s_hash)
                SELECT %2$s, head.seq, head.prev_hash, head.hash FROM head)
            INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
            SELECT seq, ?, ?, NULL, NULL, prev_hash, hash FROM head
            RETURNING seq, prev_hash, hash, recorded_at""";

    /**
     * An operation row updated with its link, and its event, when the row matches a condition: the
     * row is locked and tested first (after any concurrent change to it), the head advances only if
     * it matched, and the update takes the link the head returns. Parameters: the operation id, the
     * payload, the update's, the operation id, the event's operation id and kind.
     */
    private static final String APPEND_UPDATE = """
            WITH target AS (
                SELECT operation_id FROM operation WHERE operation_id = ? AND (%2$s) FOR UPDATE),
            """ + HEAD.formatted(" AND EXISTS (SELECT 1 FROM target)") + ",\n" + """
            changed AS (
                UPDATE operation SET %1$s, %3$s_seq = head.seq, %3$s_prev_hash = head.prev_hash, %3$s_hash = head.hash
                  FROM head WHERE operation_id = ?)
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
        Map<String, Object> event = outcomeMembers(operation);
        event.put("event", OUTCOME);
        return canonical(event);
    }

    /** What an outcome covers besides the event's kind: the operation and Domo's answer (also in a LATE_OUTCOME). */
    static Map<String, Object> outcomeMembers(Operation operation) {
        Outcome outcome = operation.outcome();
        Map<String, Object> members = new TreeMap<>();
        members.put("operationId", operation.operationId().toString());
        members.put("state", outcome.state().name());
        members.put("toe", outcome.toe());
        members.put("startTime", outcome.startTime());
        members.put("endTime", outcome.endTime());
        members.put("errorMessage", outcome.errorMessage());
        members.put("upstreamStatus", outcome.upstreamStatus());
        members.put("durationMs", outcome.durationMs());
        members.put("completedAt", text(outcome.completedAt()));
        return members;
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

    /**
     * The canonical JSON of an event about no operation: its members plus {@code event},
     * {@code subject} and {@code recordedAt}, so that the hash covers what the row's {@code kind},
     * {@code subject} and {@code recorded_at} say (the verifiers compare them). The caller has
     * checked the members with {@link #requireOwnMembersFree}.
     */
    static String payload(String kind, String subject, Instant recordedAt, Map<String, ?> members) {
        Map<String, Object> event = new TreeMap<>(members);
        event.put(EVENT, kind);
        event.put(SUBJECT, subject);
        event.put(RECORDED_AT, text(recordedAt));
        return canonical(event);
    }

    /** Refuses members named like those the chain sets itself ({@code event}, {@code subject}, {@code recordedAt}). */
    static void requireOwnMembersFree(Map<String, ?> members) {
        for (String own : List.of(EVENT, SUBJECT, RECORDED_AT)) {
            if (members.containsKey(own)) {
                throw new IllegalArgumentException("'" + own + "' is a member the chain sets itself");
            }
        }
    }

    /**
     * The member of an event about no operation that its {@code subject} repeats, for events written
     * before their payload carried {@code subject} itself: the plan of a {@code PLAN_…}
     * event, the principal of an {@code AUDIT_ACCESS}, the key of a {@code CHECKPOINT}, the operation
     * of a {@code LATE_OUTCOME}; null for a kind that never had one.
     */
    static String legacySubjectMember(String kind) {
        if (kind.startsWith("PLAN_")) {
            return "planId";
        }
        return switch (kind) {
            case "AUDIT_ACCESS" -> "principal"; // AuditAccessRecorder.EVENT, outside the ledger's package
            case Checkpoints.EVENT -> "keyId";
            case OperationStore.LATE_OUTCOME -> "operationId";
            default -> null;
        };
    }

    public static String hash(String previousHash, String payload) {
        return Sha256.hex(previousHash + "\n" + payload);
    }

    /** Where an event landed in the chain. */
    record Appended(long seq, String prevHash, String hash, Instant recordedAt) {
    }

    /**
     * Takes the chain head's lock for the connection's transaction (held until it ends, as the
     * append's own update would) and returns the database's clock, to the microsecond: the time an
     * event about no operation records in its payload and its row.
     */
    static Instant lockHead(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT clock_timestamp() FROM audit_chain_head WHERE id = 1 FOR UPDATE");
                ResultSet row = statement.executeQuery()) {
            if (!row.next()) {
                throw new SQLException("The audit chain head is missing");
            }
            return Sql.instant(row, 1);
        }
    }

    /**
     * Appends an event about no operation in the connection's transaction; an operation's events
     * are appended with the change to its row ({@link #appendInsert}, {@link #appendUpdate}).
     */
    static Appended append(Connection connection, String kind, String subject, Instant recordedAt, String payload)
            throws SQLException {
        if (OPERATION_EVENTS.contains(kind)) {
            throw new IllegalArgumentException(kind + " is appended with its operation row");
        }
        return appended(connection, APPEND, new Object[] { payload, null, kind, subject, payload, recordedAt })
                .orElseThrow(() -> new SQLException("The audit chain head is missing"));
    }

    /**
     * Inserts an operation row ({@code values}: the SQL of its values for {@code columns}, with
     * {@code parameters}) with its link of this kind, and appends its event, in one statement.
     */
    static Appended appendInsert(Connection connection, String columns, String values, Object[] parameters,
            String kind, UUID operationId, String payload) throws SQLException {
        Object[] all = new Object[parameters.length + 3];
        all[0] = payload;
        System.arraycopy(parameters, 0, all, 1, parameters.length);
        all[parameters.length + 1] = operationId;
        all[parameters.length + 2] = kind;
        String sql = APPEND_INSERT.formatted(columns, values, linkColumn(kind));
        return appended(connection, sql, all).orElseThrow(() -> new SQLException("The operation row was not inserted"));
    }

    /**
     * Updates an operation row ({@code set}, with {@code setParameters}) and its link of this kind,
     * and appends its event, in one statement, if the row matches {@code condition} (SQL without
     * parameters); empty when it does not (nothing was changed or appended).
     */
    static Optional<Appended> appendUpdate(Connection connection, UUID operationId, String condition, String set,
            Object[] setParameters, String kind, String payload) throws SQLException {
        List<Object> all = new ArrayList<>(setParameters.length + 5);
        all.add(operationId);
        all.add(payload);
        all.addAll(Arrays.asList(setParameters));
        all.add(operationId);
        all.add(operationId);
        all.add(kind);
        return appended(connection, APPEND_UPDATE.formatted(set, condition, linkColumn(kind)), all.toArray());
    }

    private static Optional<Appended> appended(Connection connection, String sql, Object[] parameters)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Sql.bind(statement, parameters);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Appended(row.getLong(1), row.getString(2), row.getString(3), Sql.instant(row, 4)));
            }
        } catch (SQLException e) {
            if (!headBehind(e)) {
                throw e;
            }
            HeadBehind behind = new HeadBehind(e);
            LOG.error(behind.getMessage() + " (see audit.md, \"What each check catches\"): " + e.getMessage());
            throw behind;
        }
    }

    /**
     * The next link's seq or hash is already an event's: only a head moved back outside the service
     * does that. The constraint comes from the server's error fields, not from its message text,
     * which a server in another language words differently.
     */
    private static boolean headBehind(SQLException e) {
        if (!"23505".equals(e.getSQLState()) || !(e instanceof PSQLException postgres)
                || postgres.getServerErrorMessage() == null) {
            return false;
        }
        String constraint = postgres.getServerErrorMessage().getConstraint();
        return "pk_audit_event".equals(constraint) || "uq_audit_event_hash".equals(constraint);
    }

    /**
     * Nothing can be appended: the chain's head (audit_chain_head) names an event before the last
     * one, so that the next link would repeat an existing event's. Said as such, so that the 503s
     * that follow (every migration, reversal and audit read records an event) point at the head
     * rather than at the database's health; audit.md says how to mend it.
     */
    public static final class HeadBehind extends SQLException {
        HeadBehind(SQLException cause) {
            super("The audit chain's head (audit_chain_head) is behind its last event: it was moved back outside the"
                    + " service, and no event can be appended until it names the last event again", "23505", cause);
        }
    }

    /** The prefix of the operation columns that keep an event's link: intent_seq, intent_prev_hash, intent_hash. */
    private static String linkColumn(String kind) {
        if (!OPERATION_EVENTS.contains(kind)) {
            throw new IllegalArgumentException(kind + " is not an operation event");
        }
        return kind.toLowerCase(Locale.ROOT);
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
