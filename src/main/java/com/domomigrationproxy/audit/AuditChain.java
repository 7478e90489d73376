package com.domomigrationproxy.audit;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import jakarta.persistence.EntityManager;

import com.domomigrationproxy.hashing.Sha256;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The SHA-256 hash chain over audit events. Each event's hash covers the previous event's hash
 * and the canonical JSON of the event, which is rebuilt from the operation row:
 *
 * <pre>hash = sha256_hex(prev_hash + "\n" + canonical_json)</pre>
 *
 * Canonical JSON: the event's members (below) sorted by name, no whitespace, UTF-8, strings
 * JSON-escaped, null kept, instants in ISO-8601 UTC as Java's {@link Instant#toString()} writes
 * them. Python: {@code json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)}.
 * The first event's prev_hash is 64 zeros. The README has a worked example.
 */
final class AuditChain {

    static final String GENESIS = "0".repeat(64);
    static final String INTENT = "INTENT";
    static final String OUTCOME = "OUTCOME";
    static final String RECONCILIATION = "RECONCILIATION";
    /** One chain for the whole database: appends from every replica are serialised on this lock. */
    private static final long CHAIN_LOCK = 0x646f6d6f_61756469L;
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private AuditChain() {
    }

    /** The intent event: what was asked, by whom, when. */
    static String intentPayload(Operation operation) {
        Map<String, Object> event = new TreeMap<>();
        event.put("event", INTENT);
        event.put("operationId", operation.operationId().toString());
        event.put("direction", operation.direction().name());
        event.put("datasourceId", operation.datasourceId());
        event.put("accountId", operation.accountId());
        event.put("catalog", operation.catalog());
        event.put("schema", operation.schema());
        event.put("table", operation.table());
        event.put("requestedBy", operation.requestedBy());
        event.put("authMethod", operation.authMethod());
        event.put("requestId", operation.requestId());
        event.put("clientAddress", operation.clientAddress());
        event.put("requestedAt", instant(operation.requestedAt()));
        return canonical(event);
    }

    /** The outcome event: what happened. */
    static String outcomePayload(Operation operation) {
        Map<String, Object> event = new TreeMap<>();
        event.put("event", OUTCOME);
        event.put("operationId", operation.operationId().toString());
        event.put("state", operation.state().name());
        event.put("toe", operation.toe());
        event.put("startTime", operation.startTime());
        event.put("endTime", operation.endTime());
        event.put("errorMessage", operation.errorMessage());
        event.put("upstreamStatus", operation.upstreamStatus());
        event.put("durationMs", operation.durationMs());
        event.put("completedAt", instant(operation.completedAt()));
        return canonical(event);
    }

    /** The reconciliation event: what Domo showed later about an unknown outcome. */
    static String reconciliationPayload(Operation operation) {
        Map<String, Object> event = new TreeMap<>();
        event.put("event", RECONCILIATION);
        event.put("operationId", operation.operationId().toString());
        Operation.Reconciliation reconciliation = operation.reconciliation();
        event.put("reconciledState", reconciliation == null ? null : reconciliation.state().name());
        event.put("reconciledAt", reconciliation == null ? null : instant(reconciliation.at()));
        event.put("reconciliationNote", reconciliation == null ? null : reconciliation.note());
        return canonical(event);
    }

    static String payload(String kind, Operation operation) {
        return switch (kind) {
            case INTENT -> intentPayload(operation);
            case OUTCOME -> outcomePayload(operation);
            default -> reconciliationPayload(operation);
        };
    }

    static String hash(String previousHash, String payload) {
        return Sha256.hex(previousHash + "\n" + payload);
    }

    /**
     * Appends an event in the caller's transaction, after taking the chain lock, so that concurrent
     * writers on any replica link in commit order.
     */
    static void append(EntityManager entityManager, UUID operationId, String kind, String payload) {
        entityManager.createNativeQuery("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(?1)) AS chain_lock")
                .setParameter(1, CHAIN_LOCK)
                .getSingleResult();
        // The previous hash is read and the new one computed in the INSERT itself (one round trip);
        // PostgreSQL's sha256 over the UTF-8 bytes is the rule of hash(), which ChainVerifier applies.
        entityManager.createNativeQuery("INSERT INTO audit_event (operation_id, kind, prev_hash, hash)"
                + " SELECT ?1, ?2, prev.hash, encode(sha256(convert_to(prev.hash || chr(10) || ?3, 'UTF8')), 'hex')"
                + " FROM (SELECT coalesce((SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1), ?4) AS hash) AS prev")
                .setParameter(1, operationId)
                .setParameter(2, kind)
                .setParameter(3, payload)
                .setParameter(4, GENESIS)
                .executeUpdate();
    }

    private static String instant(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static String canonical(Map<String, Object> event) {
        try {
            return CANONICAL.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Audit events are plain strings and numbers", e);
        }
    }
}
