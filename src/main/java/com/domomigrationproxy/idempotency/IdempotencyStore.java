package com.domomigrationproxy.idempotency;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Idempotency-Key bookkeeping in PostgreSQL, so every replica sees the same keys (IETF
 * draft-ietf-httpapi-idempotency-key-header). Keys are per principal: two callers never share one.
 */
@ApplicationScoped
public class IdempotencyStore {

    private static final Pattern VALID_KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");
    /** A claim with no answer after this long belongs to a request that died; see {@link #claim}. */
    private static final Duration ABANDON_MARGIN = Duration.ofSeconds(30);

    private final EntityManager entityManager;
    private final Duration retention;
    private final Duration abandonedAfter;

    @Inject
    IdempotencyStore(EntityManager entityManager, IdempotencyConfig config, DomoConfig domo) {
        this.entityManager = entityManager;
        this.retention = config.retention();
        this.abandonedAfter = domo.migrationTimeout().plus(ABANDON_MARGIN);
    }

    /** What a request holding a key must do. */
    public sealed interface Claim {
        /** First use (or an expired or abandoned one): run the request, then {@link #complete}. */
        record Run() implements Claim {
        }

        /** Answered before: send the stored answer. */
        record Replay(int status, String body) implements Claim {
        }

        /** The first request died after recording its operation: answer from the audit trail. */
        record ReplayOperation(UUID operationId) implements Claim {
        }
    }

    /** 1 to 255 visible ASCII characters, or a 400. */
    public static String validate(String key) {
        if (key != null && !VALID_KEY.matcher(key).matches()) {
            throw ProblemException.invalid("Idempotency-Key must be 1 to 255 visible ASCII characters",
                    List.of(new Problem.FieldError("Idempotency-Key", "must be 1 to 255 visible ASCII characters")));
        }
        return key;
    }

    public Claim claim(String principal, String key, String fingerprint) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Instant now = Instant.now();
            int inserted = entityManager.createNativeQuery("""
                    INSERT INTO idempotency_key (principal, idempotency_key, fingerprint, created_at, expires_at)
                    VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING""")
                    .setParameter(1, principal).setParameter(2, key).setParameter(3, fingerprint)
                    .setParameter(4, Timestamp.from(now)).setParameter(5, Timestamp.from(now.plus(retention)))
                    .executeUpdate();
            if (inserted == 1) {
                return new Claim.Run();
            }
            Object[] row = (Object[]) entityManager.createNativeQuery("""
                    SELECT fingerprint, operation_id, response_status, response_body, created_at, expires_at
                    FROM idempotency_key WHERE principal = ?1 AND idempotency_key = ?2 FOR UPDATE""")
                    .setParameter(1, principal).setParameter(2, key).getSingleResult();
            Instant createdAt = instant(row[4]);
            Instant expiresAt = instant(row[5]);
            if (expiresAt.isBefore(now)) {
                restart(principal, key, fingerprint, now);
                return new Claim.Run();
            }
            if (!fingerprint.equals(row[0])) {
                throw new ProblemException(422, ProblemType.IDEMPOTENCY_KEY_REUSED,
                        "This Idempotency-Key was first used for a different request; use a new key for a new request");
            }
            if (row[2] != null) {
                return new Claim.Replay((Integer) row[2], (String) row[3]);
            }
            if (createdAt.plus(abandonedAfter).isAfter(now)) {
                throw new ProblemException(409, ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS,
                        "The first request with this Idempotency-Key is still running; retry once it has answered")
                        .withHeader("Retry-After", "5");
            }
            if (row[1] != null) {
                return new Claim.ReplayOperation((UUID) row[1]);
            }
            restart(principal, key, fingerprint, now);
            return new Claim.Run();
        });
    }

    /** Links the key to the operation just recorded, so that its answer survives a crash. */
    public void attach(String principal, String key, UUID operationId) {
        update("UPDATE idempotency_key SET operation_id = ?3 WHERE principal = ?1 AND idempotency_key = ?2",
                principal, key, operationId, null);
    }

    /** Stores the answer that repeats of this request get. */
    public void complete(String principal, String key, int status, String body) {
        update("UPDATE idempotency_key SET response_status = ?3, response_body = ?4"
                + " WHERE principal = ?1 AND idempotency_key = ?2", principal, key, status, body);
    }

    /** Forgets a key whose request failed before anything was recorded, so the caller can retry with it. */
    public void release(String principal, String key) {
        QuarkusTransaction.requiringNew().run(() -> entityManager
                .createNativeQuery("DELETE FROM idempotency_key WHERE principal = ?1 AND idempotency_key = ?2"
                        + " AND response_status IS NULL")
                .setParameter(1, principal).setParameter(2, key).executeUpdate());
    }

    /** Deletes expired keys; returns how many. */
    public int purgeExpired() {
        return QuarkusTransaction.requiringNew().call(() -> entityManager
                .createNativeQuery("DELETE FROM idempotency_key WHERE expires_at < now()").executeUpdate());
    }

    /** Native queries return timestamptz as Instant or Timestamp, depending on the driver mapping. */
    private static Instant instant(Object value) {
        return value instanceof Timestamp timestamp ? timestamp.toInstant() : (Instant) value;
    }

    private void restart(String principal, String key, String fingerprint, Instant now) {
        entityManager.createNativeQuery("""
                UPDATE idempotency_key SET fingerprint = ?3, operation_id = NULL, response_status = NULL,
                       response_body = NULL, created_at = ?4, expires_at = ?5
                WHERE principal = ?1 AND idempotency_key = ?2""")
                .setParameter(1, principal).setParameter(2, key).setParameter(3, fingerprint)
                .setParameter(4, Timestamp.from(now)).setParameter(5, Timestamp.from(now.plus(retention)))
                .executeUpdate();
    }

    private void update(String sql, String principal, String key, Object third, Object fourth) {
        QuarkusTransaction.requiringNew().run(() -> {
            var query = entityManager.createNativeQuery(sql).setParameter(1, principal).setParameter(2, key)
                    .setParameter(3, third);
            if (fourth != null) {
                query.setParameter(4, fourth);
            }
            query.executeUpdate();
        });
    }
}
