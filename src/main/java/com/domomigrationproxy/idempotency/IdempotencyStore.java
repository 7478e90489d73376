package com.domomigrationproxy.idempotency;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.ledger.Sql;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;

/**
 * Idempotency-Key bookkeeping in PostgreSQL, so every replica sees the same keys (IETF
 * draft-ietf-httpapi-idempotency-key-header). Keys are per principal and authentication method:
 * two callers never share one.
 */
@ApplicationScoped
public class IdempotencyStore {

    /** The request header. */
    public static final String HEADER = "Idempotency-Key";
    /** The response header on a replayed answer. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    /** A key's characters, as the OpenAPI document states them (1 to 255 of them). */
    public static final String KEY_PATTERN = "^[\\x21-\\x7E]+$";
    private static final Pattern VALID_KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");
    /** The longest retention: a key's expiry is stored, and must stay within the database's dates. */
    public static final Duration MAX_RETENTION = Duration.ofDays(36_500);
    private static final Logger LOG = Logger.getLogger(IdempotencyStore.class);
    /** Inserts tried when the row each met was deleted before it could be locked. */
    private static final int CLAIM_ATTEMPTS = 3;

    private final DataSource dataSource;
    private final Duration retention;
    private final IdempotencyConfig config;
    private final Duration abandonedAfter;

    @Inject
    IdempotencyStore(DataSource dataSource, IdempotencyConfig config, DomoConfig domo) {
        this.dataSource = dataSource;
        this.retention = config.retention();
        this.config = config;
        this.abandonedAfter = config.abandonedAfter(domo.migrationTimeout());
    }

    /** {@link IdempotencyConfig#abandonedAfter(Duration)}: how long a request with this deadline holds its key. */
    public Duration abandonedAfter(Duration deadline) {
        return config.abandonedAfter(deadline);
    }

    /** Who a key belongs to: the principal as it authenticated. */
    public record Owner(String principal, String authMethod) {
    }

    /** What a request holding a key must do. */
    public sealed interface Claim {
        /**
         * First use (or an expired or abandoned one): run the request, then {@link #complete}.
         * {@code claimedAt} tells this claim from a later one of the same key (the key's created_at).
         */
        record Run(Instant claimedAt) implements Claim {
        }

        /** Answered before: send the stored answer. */
        record Replay(int status, String body, UUID operationId) implements Claim {
        }

        /** The first request died after recording its operation: answer from the audit trail. */
        record ReplayOperation(UUID operationId, Instant claimedAt) implements Claim {
        }
    }

    /** The request's Idempotency-Key header: absent, or exactly one valid key; an empty or repeated header is a 400. */
    public static Optional<String> fromHeaders(List<String> values) {
        if (values.size() > 1) {
            throw ProblemException.invalid("Send Idempotency-Key at most once",
                    List.of(new Problem.FieldError(HEADER, "must be sent at most once")));
        }
        return validate(values.isEmpty() ? null : values.get(0));
    }

    /** Absent (null), or 1 to 255 visible ASCII characters; anything else, an empty value too, is a 400. */
    public static Optional<String> validate(String key) {
        if (key == null) {
            return Optional.empty();
        }
        if (!VALID_KEY.matcher(key).matches()) {
            throw ProblemException.invalid("Idempotency-Key must be 1 to 255 visible ASCII characters",
                    List.of(new Problem.FieldError(HEADER, "must be 1 to 255 visible ASCII characters")));
        }
        return Optional.of(key);
    }

    /**
     * The stored answer a repeat of this request gets, if there is one (a {@link Claim.Replay} or
     * {@link Claim.ReplayOperation}), read without writing anything: a repeat is answered before
     * the rate limit and the circuit breaker, which guard what is sent to Domo. 422 when the key
     * was first used for another request, 409 while that request still runs.
     */
    public Optional<Claim> storedAnswer(Owner owner, String key, String fingerprint) {
        return storedAnswer(owner, key, fingerprint, abandonedAfter);
    }

    /**
     * {@link #storedAnswer(Owner, String, String)} for a request whose claim counts as abandoned
     * {@code running} after it was made, instead of a migration's {@link #abandonedAfter(Duration)}:
     * a plan upload, whose preflight has a deadline of its own.
     */
    public Optional<Claim> storedAnswer(Owner owner, String key, String fingerprint, Duration running) {
        return run(connection -> Sql.first(connection, """
                SELECT fingerprint, operation_id, response_status, response_body, created_at, expires_at, released_at
                FROM idempotency_key WHERE principal = ? AND auth_method = ? AND idempotency_key = ?""",
                IdempotencyStore::stored, owner.principal(), owner.authMethod(), key)
                .flatMap(stored -> answerOf(stored, fingerprint, Instant.now(), running)));
    }

    public Claim claim(Owner owner, String key, String fingerprint) {
        return claim(owner, key, fingerprint, abandonedAfter);
    }

    /** {@link #claim(Owner, String, String)} for a request whose claim counts as abandoned {@code running} after it. */
    public Claim claim(Owner owner, String key, String fingerprint, Duration running) {
        return QuarkusTransaction.requiringNew().call(() -> run(connection -> {
            // Microseconds, as PostgreSQL keeps it: the claim is later told apart by this time.
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            // The row found by the insert's conflict may be deleted (purged) before this
            // transaction locks it: the key is then free, and the insert is tried again.
            for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
                int inserted = Sql.update(connection, """
                        INSERT INTO idempotency_key (principal, auth_method, idempotency_key, fingerprint, created_at,
                            expires_at)
                        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""", owner.principal(), owner.authMethod(), key,
                        fingerprint, now, now.plus(retention));
                if (inserted == 1) {
                    return new Claim.Run(now);
                }
                Optional<Stored> found = Sql.first(connection, """
                        SELECT fingerprint, operation_id, response_status, response_body, created_at, expires_at, released_at
                        FROM idempotency_key WHERE principal = ? AND auth_method = ? AND idempotency_key = ? FOR UPDATE""",
                        IdempotencyStore::stored, owner.principal(), owner.authMethod(), key);
                if (found.isPresent()) {
                    return claimStored(connection, found.get(), owner, key, fingerprint, now, running);
                }
            }
            throw new ProblemException(409, ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS,
                    "Other requests with this Idempotency-Key kept taking and freeing it; retry").withRetryAfter(1);
        }));
    }

    /** The claim of a key whose row this transaction holds locked. */
    private Claim claimStored(Connection connection, Stored stored, Owner owner, String key, String fingerprint,
            Instant now, Duration running) throws SQLException {
        if (expired(stored, now)) {
            restart(connection, owner, key, fingerprint, now);
            return new Claim.Run(now);
        }
        Optional<Claim> answer = answerOf(stored, fingerprint, now, running);
        if (answer.isPresent()) {
            return answer.get();
        }
        restart(connection, owner, key, fingerprint, now);
        return new Claim.Run(now);
    }

    /**
     * What a repeat gets from a key that has not expired: 422 for another request, the stored answer,
     * 409 while the first request may still run, or the operation of a first request that died after
     * recording it; empty when the key is free for this request (expired, released, or its first
     * request died before recording anything).
     */
    private Optional<Claim> answerOf(Stored stored, String fingerprint, Instant now, Duration running) {
        if (expired(stored, now)) {
            return Optional.empty();
        }
        if (!fingerprint.equals(stored.fingerprint())) {
            throw new ProblemException(422, ProblemType.IDEMPOTENCY_KEY_REUSED,
                    "This Idempotency-Key was first used for a different request; use a new key for a new request");
        }
        if (stored.status() != null) {
            return Optional.of(new Claim.Replay(stored.status(), stored.body(), stored.operationId()));
        }
        if (stored.released()) {
            return Optional.empty();
        }
        refuseWhileRunning(stored.createdAt(), now, running);
        return stored.operationId() == null ? Optional.empty()
                : Optional.of(new Claim.ReplayOperation(stored.operationId(), stored.createdAt()));
    }

    /**
     * 409 while a first request that began at {@code since} (its claim, or its intent's record) may
     * still run: until the migration's {@link #abandonedAfter(Duration)} has passed since.
     */
    public void refuseWhileRunning(Instant since) {
        refuseWhileRunning(since, Instant.now(), abandonedAfter);
    }

    private static void refuseWhileRunning(Instant since, Instant now, Duration running) {
        if (since.plus(running).isAfter(now)) {
            throw new ProblemException(409, ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS,
                    "The first request with this Idempotency-Key is still running; retry once it has answered")
                    .withRetryAfter(5);
        }
    }

    private static Stored stored(ResultSet row) throws SQLException {
        return new Stored(row.getString(1), row.getObject(2, UUID.class), (Integer) row.getObject(3), row.getString(4),
                Sql.instant(row, 5), Sql.instant(row, 6), Sql.instant(row, 5).equals(Sql.instant(row, 7)));
    }

    /**
     * Links the key to the operation just recorded, in the caller's transaction: the one that
     * commits the operation's intent, so that no crash can separate them.
     */
    public void attach(Owner owner, String key, Instant claimedAt, UUID operationId) {
        int attached = run(connection -> Sql.update(connection, "UPDATE idempotency_key SET operation_id = ?"
                + " WHERE principal = ? AND auth_method = ? AND idempotency_key = ? AND created_at = ?", operationId,
                owner.principal(), owner.authMethod(), key, claimedAt));
        if (attached == 0) {
            // Stalled so long that a repeat took the key over: the intent rolls back, Domo is not called.
            throw new ProblemException(409, ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS,
                    "A repeat with this Idempotency-Key took it over while this request waited; it answers for both")
                    .withRetryAfter(5);
        }
    }

    /**
     * Stores the answer that repeats of this request get. Best effort: when the store cannot take
     * it, a repeat is answered from the audit trail once the first request counts as abandoned.
     */
    public void complete(Owner owner, String key, Instant claimedAt, int status, String body) {
        try {
            // Only this claim's row: a request so slow that a repeat took the key over must not answer for it.
            // An answer that came after the key's time was up (see expired) is kept for as long again.
            QuarkusTransaction.requiringNew().run(() -> run(connection -> Sql.update(connection,
                    "UPDATE idempotency_key SET response_status = ?, response_body = ?, expires_at = GREATEST(expires_at, ?)"
                            + " WHERE principal = ? AND auth_method = ? AND idempotency_key = ? AND created_at = ?",
                    status, body, Instant.now().plus(retention), owner.principal(), owner.authMethod(), key,
                    claimedAt)));
        } catch (RuntimeException e) {
            LOG.warnf("The answer for an Idempotency-Key of %s was not stored (%s); a repeat is answered from the"
                    + " audit trail once the first request counts as abandoned", owner.principal(),
                    e.getClass().getSimpleName());
        }
    }

    /**
     * Gives up the claim made at {@code claimedAt}, unanswered, so that the caller can retry with the
     * key: its request failed before anything was recorded, or Domo certainly did nothing with it. The
     * key keeps its fingerprint until it expires: the same request runs again, another is still a 422.
     * A later claim of the same key (after this one counted as abandoned) is left alone. Released means
     * released_at equals created_at: any later claim (a restart sets a new created_at, on a pod of a
     * release that knows nothing of released_at too) is live again.
     */
    public void release(Owner owner, String key, Instant claimedAt) {
        try {
            QuarkusTransaction.requiringNew().run(() -> run(connection -> Sql.update(connection,
                    "UPDATE idempotency_key SET released_at = created_at WHERE principal = ?"
                            + " AND auth_method = ? AND idempotency_key = ? AND response_status IS NULL AND created_at = ?",
                    owner.principal(), owner.authMethod(), key, claimedAt)));
        } catch (RuntimeException e) {
            LOG.warnf("An unused Idempotency-Key of %s was not released (%s); it frees itself when abandoned",
                    owner.principal(), e.getClass().getSimpleName());
        }
    }

    /** Deletes expired keys; its own job, every PROXY_IDEMPOTENCY_PURGE_INTERVAL. */
    @Scheduled(identity = "idempotency-purge", every = "${proxy.idempotency.purge-interval:10m}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void purgeExpired() {
        try {
            int purged = purgeExpiredNow();
            if (purged > 0) {
                LOG.infof("Purged %d expired idempotency key(s)", purged);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Idempotency key purge failed: %s", e.getClass().getSimpleName());
        }
    }

    /**
     * Whether a key is free again: its time is up, unless it names an operation it has no answer for
     * and was not released.
     * Its expiry counts from the claim, and the request may record its intent long after that (a
     * lock's wait) and then wait for Domo: freed then, a repeat ran the operation a second time
     * (idempotency review). Such a key answers with its operation, as one whose request died does.
     */
    private static boolean expired(Stored stored, Instant now) {
        return stored.expiresAt().isBefore(now)
                && (stored.status() != null || stored.operationId() == null || stored.released());
    }

    /**
     * Deletes expired keys now; returns how many. Not a key without an answer whose operation has not
     * ended, or ended less than a retention ago ({@link #expired}: its answer may still be stored, or a
     * repeat rebuilds it from the trail); nor a key a request holds locked (linking its operation, storing
     * its answer), which is looked at again next time: deleted under it, from a snapshot that cannot see
     * the operation it links, the key was freed for a second run (review).
     */
    public int purgeExpiredNow() {
        return QuarkusTransaction.requiringNew().call(() -> run(connection -> Sql.update(connection, """
                DELETE FROM idempotency_key d USING (
                    SELECT principal, auth_method, idempotency_key FROM idempotency_key k
                     WHERE k.expires_at < now()
                       AND NOT (k.response_status IS NULL AND k.released_at IS DISTINCT FROM k.created_at
                                AND k.operation_id IS NOT NULL AND EXISTS (
                           SELECT 1 FROM operation o WHERE o.operation_id = k.operation_id
                              AND (o.state = 'PENDING' AND o.reconciled_state IS NULL
                                   OR coalesce(o.reconciled_at, o.completed_at) > now() - make_interval(secs => ?))))
                     FOR UPDATE OF k SKIP LOCKED) gone
                 WHERE d.principal = gone.principal AND d.auth_method = gone.auth_method
                   AND d.idempotency_key = gone.idempotency_key""", (double) retention.toSeconds())));
    }

    private void restart(Connection connection, Owner owner, String key, String fingerprint, Instant now)
            throws SQLException {
        Sql.update(connection, """
                UPDATE idempotency_key SET fingerprint = ?, operation_id = NULL, response_status = NULL,
                       response_body = NULL, created_at = ?, expires_at = ?, released_at = NULL
                WHERE principal = ? AND auth_method = ? AND idempotency_key = ?""", fingerprint, now,
                now.plus(retention), owner.principal(), owner.authMethod(), key);
    }

    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private <T> T run(Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE,
                    "The idempotency store is unavailable, so nothing was sent to Domo; retry later", e);
        }
    }

    private record Stored(String fingerprint, UUID operationId, Integer status, String body, Instant createdAt,
            Instant expiresAt, boolean released) {
    }
}
