package com.domomigrationproxy.migration;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoMigrationRequest;
import com.domomigrationproxy.domo.DomoOperationResult;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.idempotency.ReplayedAnswer;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requester;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * The five operations. Migrate and reverse follow one rule: the intent is committed to the audit
 * trail before Domo is called (no record, no call), and the outcome is recorded whatever happens.
 * Around that, for a caller's own request: its rate limit, the circuit breaker, and the
 * Idempotency-Key, whose link to the operation commits with the intent.
 */
@ApplicationScoped
public class MigrationService {

    /** The answer of migrate or reverse: an Operation, or a stored answer sent again. */
    public record Answer(Object body, boolean replayed) {
    }

    private final DomoClient domo;
    private final OperationStore operations;
    private final IdempotencyStore idempotency;
    private final OperationRateLimiter rateLimiter;
    private final ObjectMapper json;

    @Inject
    MigrationService(DomoClient domo, OperationStore operations, IdempotencyStore idempotency,
            OperationRateLimiter rateLimiter, ObjectMapper json) {
        this.domo = domo;
        this.operations = operations;
        this.idempotency = idempotency;
        this.rateLimiter = rateLimiter;
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

    public Answer migrate(String datasourceId, MigrationRequest request, Requester requester,
            Optional<String> idempotencyKey) {
        return answer(OperationIntent.migration(datasourceId, request.accountId(), request.catalog(), request.schema(),
                request.table(), requester), idempotencyKey);
    }

    public Answer reverse(String datasourceId, Requester requester, Optional<String> idempotencyKey) {
        return answer(OperationIntent.reversal(datasourceId, requester), idempotencyKey);
    }

    private Answer answer(OperationIntent intent, Optional<String> key) {
        rateLimiter.acquire(intent.requestedBy());
        domo.refuseWhileCircuitOpen();
        if (key.isEmpty()) {
            return new Answer(perform(intent, pending -> {
            }), false);
        }
        IdempotencyStore.Owner owner = new IdempotencyStore.Owner(intent.requestedBy(), intent.authMethod());
        IdempotencyStore.Claim claim = idempotency.claim(owner, key.get(), fingerprint(intent));
        if (claim instanceof IdempotencyStore.Claim.Replay replay) {
            return replay(replay);
        }
        if (claim instanceof IdempotencyStore.Claim.ReplayOperation abandoned) {
            return new Answer(operations.find(abandoned.operationId()).orElseThrow(), true);
        }
        Operation done;
        try {
            done = perform(intent, pending -> idempotency.attach(owner, key.get(), pending.operationId()));
        } catch (ProblemException e) {
            if (e.extensions().operationId() == null) {
                idempotency.release(owner, key.get());
            } else {
                idempotency.complete(owner, key.get(), e.status(), write(StoredProblem.of(e)));
            }
            throw e;
        }
        idempotency.complete(owner, key.get(), 200, write(done));
        return new Answer(done, false);
    }

    /**
     * Runs one migration or reversal through the audited path: intent committed, Domo called,
     * outcome recorded. {@code sameTransaction} writes what must commit with the intent, or not at
     * all (an Idempotency-Key's link, a plan item's claim on the operation).
     */
    public Operation perform(OperationIntent intent, Consumer<Operation> sameTransaction) {
        Operation pending = operations.recordIntent(intent, sameTransaction);
        long started = System.nanoTime();
        DomoOperationResult result;
        try {
            result = intent.direction() == Direction.V1_TO_V2
                    ? domo.migrate(intent.datasourceId(), intent.accountId(),
                            new DomoMigrationRequest(intent.catalog(), intent.schema(), intent.table()))
                    : domo.reverse(intent.datasourceId());
        } catch (DomoCallException e) {
            OperationState state = e.outcomeUnknown() ? OperationState.UNKNOWN : OperationState.FAILED;
            operations.recordOutcome(pending, Outcome.withoutResult(state, e.domoToe(), e.detail(), e.upstreamStatus(),
                    elapsedMillis(started)));
            throw e.withOperationId(pending.operationId());
        } catch (ProblemException e) {
            // Refused before anything was sent (circuit breaker): nothing happened at Domo.
            operations.recordOutcome(pending, Outcome.withoutResult(OperationState.FAILED, null, e.detail(), null,
                    elapsedMillis(started)));
            throw e.withOperationId(pending.operationId());
        } catch (RuntimeException e) {
            operations.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null,
                    "The service failed while calling Domo; the outcome is unknown", null, elapsedMillis(started)));
            throw e;
        }
        return operations.recordOutcome(pending, new Outcome(OperationState.valueOf(result.state()), result.toe(),
                result.startTime(), result.endTime(), result.errorMessage(), result.httpStatus(),
                elapsedMillis(started), null));
    }

    private Answer replay(IdempotencyStore.Claim.Replay replay) {
        if (replay.status() == 200) {
            return new Answer(new ReplayedAnswer(replay.operationId(), replay.body()), true);
        }
        try {
            throw json.readValue(replay.body(), StoredProblem.class).toException()
                    .withHeader(IdempotencyStore.REPLAYED_HEADER, "true");
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
    record StoredProblem(int status, ProblemType type, String detail, UUID operationId, String domoToe,
            String retryAfter) {

        static StoredProblem of(ProblemException e) {
            return new StoredProblem(e.status(), e.type(), e.detail(), e.extensions().operationId(),
                    e.extensions().domoToe(), e.retryAfter());
        }

        ProblemException toException() {
            ProblemException problem = new ProblemException(status, type, detail).withDomoToe(domoToe);
            problem = operationId == null ? problem : problem.withOperationId(operationId);
            return retryAfter == null ? problem : problem.withRetryAfter(Long.parseLong(retryAfter));
        }
    }
}
