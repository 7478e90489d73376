package com.domomigrationproxy.migration;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.audit.AuditQueries;
import com.domomigrationproxy.audit.AuditTrail;
import com.domomigrationproxy.audit.Operation;
import com.domomigrationproxy.audit.OperationIntent;
import com.domomigrationproxy.audit.OperationState;
import com.domomigrationproxy.audit.Outcome;
import com.domomigrationproxy.audit.Requester;
import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoCircuitBreaker;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoMigrationRequest;
import com.domomigrationproxy.domo.DomoOperationResult;
import com.domomigrationproxy.hashing.Sha256;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * The five operations. Migrate and reverse follow one rule: the intent is committed to the audit
 * trail before Domo is called (no record, no call), and the outcome is recorded whatever happens.
 * Around that: the caller's rate limit, the circuit breaker, and the Idempotency-Key.
 */
@ApplicationScoped
public class MigrationService {

    /** The answer of migrate or reverse, and whether it is a stored one sent again. */
    public record Answer(Operation operation, boolean replayed) {
    }

    private static final String REPLAYED = "Idempotent-Replayed";
    private static final Logger LOG = Logger.getLogger(MigrationService.class);

    private final DomoClient domo;
    private final AuditTrail audit;
    private final AuditQueries auditQueries;
    private final IdempotencyStore idempotency;
    private final OperationRateLimiter rateLimiter;
    private final DomoCircuitBreaker breaker;
    private final ObjectMapper json;

    @Inject
    MigrationService(DomoClient domo, AuditTrail audit, AuditQueries auditQueries, IdempotencyStore idempotency,
            OperationRateLimiter rateLimiter, DomoCircuitBreaker breaker, ObjectMapper json) {
        this.domo = domo;
        this.audit = audit;
        this.auditQueries = auditQueries;
        this.idempotency = idempotency;
        this.rateLimiter = rateLimiter;
        this.breaker = breaker;
        this.json = json;
    }

    public ArrayNode integrationTypes() {
        return domo.listTypes();
    }

    public ArrayNode accounts(String integrationType) {
        return domo.listAccounts(integrationType);
    }

    public ArrayNode candidates(String accountId) {
        return domo.listCandidates(accountId);
    }

    public Answer migrate(String datasourceId, MigrationRequest request, Requester requester, String idempotencyKey) {
        OperationIntent intent = OperationIntent.migration(datasourceId, request.accountId(), request.catalog(),
                request.schema(), request.table(), requester);
        return run(intent, idempotencyKey, () -> domo.migrate(datasourceId, request.accountId(),
                new DomoMigrationRequest(request.catalog(), request.schema(), request.table())));
    }

    public Answer reverse(String datasourceId, Requester requester, String idempotencyKey) {
        return run(OperationIntent.reversal(datasourceId, requester), idempotencyKey, () -> domo.reverse(datasourceId));
    }

    private Answer run(OperationIntent intent, String key, Supplier<DomoOperationResult> call) {
        String principal = intent.requestedBy();
        rateLimiter.acquire(principal);
        breaker.rejectIfOpen();
        if (key == null) {
            return new Answer(complete(audit.recordIntent(intent), call), false);
        }
        IdempotencyStore.Claim claim = idempotency.claim(principal, key, fingerprint(intent));
        if (claim instanceof IdempotencyStore.Claim.Replay replay) {
            return replay(replay);
        }
        if (claim instanceof IdempotencyStore.Claim.ReplayOperation abandoned) {
            return new Answer(auditQueries.find(abandoned.operationId()).orElseThrow(), true);
        }
        Operation pending;
        try {
            pending = audit.recordIntent(intent);
        } catch (RuntimeException e) {
            idempotency.release(principal, key);
            throw e;
        }
        idempotency.attach(principal, key, pending.operationId());
        try {
            Operation done = complete(pending, call);
            idempotency.complete(principal, key, 200, write(done));
            return new Answer(done, false);
        } catch (ProblemException e) {
            idempotency.complete(principal, key, e.status(), write(StoredProblem.of(e)));
            throw e;
        }
    }

    private Operation complete(Operation pending, Supplier<DomoOperationResult> call) {
        long started = System.nanoTime();
        DomoOperationResult result;
        try {
            result = call.get();
        } catch (DomoCallException e) {
            OperationState state = e.outcomeUnknown() ? OperationState.UNKNOWN : OperationState.FAILED;
            audit.recordOutcome(pending, new Outcome(state, e.domoToe(), null, null, e.detail(), e.upstreamStatus(),
                    elapsedMillis(started)));
            throw e.withOperationId(pending.operationId());
        } catch (ProblemException e) {
            // Refused before anything was sent (circuit breaker): nothing happened at Domo.
            audit.recordOutcome(pending, new Outcome(OperationState.FAILED, null, null, null, e.detail(), null,
                    elapsedMillis(started)));
            throw e.withOperationId(pending.operationId());
        } catch (RuntimeException e) {
            audit.recordOutcome(pending, new Outcome(OperationState.UNKNOWN, null, null, null,
                    "The service failed while calling Domo; the outcome is unknown", null, elapsedMillis(started)));
            throw e;
        }
        Operation done = audit.recordOutcome(pending, new Outcome(OperationState.valueOf(result.state()),
                result.toe(), result.startTime(), result.endTime(), result.errorMessage(), result.httpStatus(),
                elapsedMillis(started)));
        LOG.infof("Operation %s %s of datasource %s by %s: %s (toe %s)", done.operationId(), done.direction(),
                done.datasourceId(), done.requestedBy(), done.state(), done.toe());
        return done;
    }

    private Answer replay(IdempotencyStore.Claim.Replay replay) {
        try {
            if (replay.status() == 200) {
                return new Answer(json.readValue(replay.body(), Operation.class), true);
            }
            throw json.readValue(replay.body(), StoredProblem.class).toException().withHeader(REPLAYED, "true");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A stored idempotent answer is unreadable", e);
        }
    }

    /** Same key, same request: direction, datasource and (for a migration) the whole body. */
    private String fingerprint(OperationIntent intent) {
        Map<String, String> request = new LinkedHashMap<>();
        request.put("direction", intent.direction().name());
        request.put("datasourceId", intent.datasourceId());
        request.put("accountId", intent.accountId());
        request.put("catalog", intent.catalog());
        request.put("schema", intent.schema());
        request.put("table", intent.table());
        return Sha256.hex(write(request));
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long elapsedMillis(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** A problem answer as stored for replays. */
    record StoredProblem(int status, ProblemType type, String detail, java.util.UUID operationId, String domoToe,
            String retryAfter) {

        static StoredProblem of(ProblemException e) {
            return new StoredProblem(e.status(), e.type(), e.detail(), e.extensions().operationId(),
                    e.extensions().domoToe(), e.headers().get("Retry-After"));
        }

        ProblemException toException() {
            ProblemException problem = new ProblemException(status, type, detail).withDomoToe(domoToe);
            problem = operationId == null ? problem : problem.withOperationId(operationId);
            return retryAfter == null ? problem : problem.withHeader("Retry-After", retryAfter);
        }
    }
}
