package com.domomigrationproxy.migration;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoList;
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
import com.domomigrationproxy.security.Scopes;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.smallrye.mutiny.Uni;

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

    /** Domo's integration types, only those in scope; none in scope answers [] without asking Domo. */
    public Uni<DomoList> integrationTypes(Scopes scopes) {
        return inScope(scopes.integrationTypes(), domo::types,
                item -> item.isTextual() && scopes.allowsType(item.textValue()));
    }

    /** 403 for a type out of scope (Domo not called); otherwise the type's accounts in scope. */
    public Uni<DomoList> accounts(String integrationType, Scopes scopes) {
        scopes.requireType(integrationType);
        return inScope(scopes.accounts(), () -> domo.accounts(integrationType),
                item -> scopes.allowsAccount(id(item)));
    }

    /** 403 for an account out of scope (Domo not called); otherwise the account's data sources in scope. */
    public Uni<DomoList> candidates(String accountId, Scopes scopes) {
        scopes.requireAccount(accountId);
        return inScope(scopes.datasources(), () -> domo.candidates(accountId),
                item -> scopes.allowsDatasource(id(item)));
    }

    /**
     * Why these scopes do not allow the intent, if they do not: a migration needs its account and
     * data source in scope; a reversal its data source and, when accounts are restricted, the
     * account of the data source's last recorded migration that may have taken effect. Reads the
     * audit trail for that account, never Domo. Plans check their items with this, with the
     * creator's scopes.
     */
    public Optional<Scopes.Refusal> scopeRefusal(OperationIntent intent, Scopes scopes) {
        return refusal(intent, scopes, this::accountsToReverseFrom);
    }

    /**
     * Those of these operations whose intents these scopes allow, by the rule of {@link #scopeRefusal},
     * reading the trail once for all the reversals that need it.
     */
    public List<Operation> allowedBy(Scopes scopes, List<Operation> candidates) {
        List<String> reversed = scopes.restrictsAccounts() ? candidates.stream().map(Operation::intent)
                .filter(intent -> intent.direction() == Direction.V2_TO_V1
                        && scopes.allowsDatasource(intent.datasourceId()))
                .map(OperationIntent::datasourceId).distinct().toList() : List.of();
        Map<String, Set<String>> accounts = reversed.isEmpty() ? Map.of() : operations.accountsToReverseFrom(reversed);
        return candidates.stream().filter(operation -> refusal(operation.intent(), scopes,
                datasourceId -> accounts.getOrDefault(datasourceId, Set.of())).isEmpty()).toList();
    }

    private static Optional<Scopes.Refusal> refusal(OperationIntent intent, Scopes scopes,
            Function<String, Set<String>> accountsToReverseFrom) {
        String datasourceId = intent.datasourceId();
        if (intent.direction() == Direction.V1_TO_V2) {
            return scopes.migrationRefusal(datasourceId, intent.accountId());
        }
        // The trail is read only when the answer depends on it.
        Set<String> accounts = scopes.restrictsAccounts() && scopes.allowsDatasource(datasourceId)
                ? accountsToReverseFrom.apply(datasourceId) : Set.of();
        return scopes.reversalRefusal(datasourceId, accounts);
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
        // A keyed reversal whose scope the trail decides is looked up first: its repeat gets the stored answer
        // though the trail moved on since (another caller migrated the data source again), as long as the
        // caller holds the grant the first request was allowed with; a 403 told it its reversal had not run
        // (scopes review). Every other scope check comes first, and what reaches Domo is checked again.
        boolean trailDecides = key.isPresent() && scopeDependsOnTrail(intent);
        if (!trailDecides) {
            requireInScope(intent);
        }
        if (key.isEmpty()) {
            Runnable leave = admit(intent);
            try {
                return new Answer(performInScope(intent, null), false);
            } finally {
                leave.run();
            }
        }
        IdempotencyStore.Owner owner = new IdempotencyStore.Owner(intent.requestedBy(), intent.authMethod());
        String fingerprint = fingerprint(intent);
        // A repeat is answered from what is stored, read without writing (but for releasing the key of
        // a dead request Domo did nothing with); only what would reach Domo is then admitted and
        // claimed, so a caller past its limit writes nothing else.
        Optional<IdempotencyStore.Claim> stored = idempotency.storedAnswer(owner, key.get(), fingerprint);
        if (trailDecides && !stored.map(claim -> allowedWithTheSameGrant(claim, intent)).orElse(false)) {
            requireInScope(intent);
        }
        Optional<Answer> repeated = stored.flatMap(claim -> repeat(claim, owner, key.get()));
        if (repeated.isPresent()) {
            return repeated.get();
        }
        Runnable leave = admit(intent);
        try {
            return claimAndPerform(intent, owner, key.get(), fingerprint);
        } finally {
            leave.run();
        }
    }

    /** The keyed request, admitted: its key claimed (or its answer, should it have come meanwhile), then sent. */
    private Answer claimAndPerform(OperationIntent intent, IdempotencyStore.Owner owner, String key, String fingerprint) {
        IdempotencyStore.Claim claim = idempotency.claim(owner, key, fingerprint);
        if (!(claim instanceof IdempotencyStore.Claim.Run)) {
            // The key changed since it was read: its answer, or (its first request died and Domo did
            // nothing with it, so repeat released the key just now) this repeat runs.
            Optional<Answer> answered = repeat(claim, owner, key);
            if (answered.isPresent()) {
                return answered.get();
            }
            claim = idempotency.claim(owner, key, fingerprint);
        }
        if (!(claim instanceof IdempotencyStore.Claim.Run run)) {
            throw new ProblemException(409, ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS, "The first request with this"
                    + " Idempotency-Key is still running; retry once it has answered").withRetryAfter(5);
        }
        Operation done;
        try {
            done = performInScope(intent,
                    pending -> idempotency.attach(owner, key, run.claimedAt(), pending.operationId()));
        } catch (ProblemException e) {
            if (e.extensions().operationId() == null || domoDidNothing(e)) {
                idempotency.release(owner, key, run.claimedAt());
            } else {
                idempotency.complete(owner, key, run.claimedAt(), e.status(), write(StoredProblem.of(e)));
            }
            throw e;
        }
        idempotency.complete(owner, key, run.claimedAt(), 200, write(done));
        return new Answer(done, false);
    }

    /**
     * An operation was recorded, but Domo certainly did nothing with it: it refused to take the call
     * (429) or the service's token (401, 403), a redirect turned it away, the circuit breaker or a
     * missing token kept it here, or the connection was refused. Its key is released rather than
     * bound to that answer, so that a retry after Retry-After, or after the token was mended, runs.
     * The rule of {@link RecordedAnswer#domoDidNothing}, read off the failure instead of its record.
     */
    private static boolean domoDidNothing(ProblemException e) {
        return e.type() == ProblemType.DOMO_RATE_LIMITED || e.type() == ProblemType.DOMO_CIRCUIT_OPEN
                || (e instanceof DomoCallException call && (!call.mayHaveReachedDomo()
                        || call.upstreamStatus() != null && !call.outcomeUnknown()
                                && RecordedAnswer.turnedAway(call.upstreamStatus())));
    }

    /**
     * The answer of a repeat: the stored answer, or the audited operation of a first request that
     * died; empty when that operation shows Domo did nothing with it, whose key is then released so
     * that this repeat runs as the first request would have.
     */
    private Optional<Answer> repeat(IdempotencyStore.Claim claim, IdempotencyStore.Owner owner, String key) {
        if (claim instanceof IdempotencyStore.Claim.Replay replay) {
            return Optional.of(replay(replay));
        }
        IdempotencyStore.Claim.ReplayOperation died = (IdempotencyStore.Claim.ReplayOperation) claim;
        // Asked before the row is read: an outcome the backlog writes meanwhile is then in the row read after.
        boolean backlogged = operations.outcomeBacklogged(died.operationId());
        Operation operation = operations.find(died.operationId()).orElseThrow();
        if (operation.state() == OperationState.PENDING && operation.reconciliation() == null) {
            // The key's wait counts from its claim, but the intent may have waited long for the audit store
            // after it: Domo is called only once the intent is recorded, and may still be carrying it out.
            idempotency.refuseWhileRunning(operations.intentRecordedAt(operation));
            // Domo answered, and the outcome waits on this replica for the audit store to take it: the first
            // request got its answer, which the record will hold soon; not "no answer on record" (504).
            if (backlogged) {
                throw new ProblemException(409, ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS, "The first request with"
                        + " this Idempotency-Key got Domo's answer, which waits on this replica for the audit store;"
                        + " retry once it is recorded").withRetryAfter(5).withOperationId(operation.operationId());
            }
        }
        if (RecordedAnswer.domoDidNothing(operation)) {
            idempotency.release(owner, key, died.claimedAt());
            return Optional.empty();
        }
        RecordedAnswer.problem(operation).ifPresent(problem -> {
            throw problem.withHeader(IdempotencyStore.REPLAYED_HEADER, "true");
        });
        // As the first request would have answered: its links in the hash chain are the audit API's.
        return Optional.of(new Answer(operation.withoutChain(), true));
    }

    /**
     * 503 while Domo's circuit is open, 503 busy while the replica's API migrations and reversals in
     * flight are at their limit, 429 past the caller's rate limit: checked for what would be sent to
     * Domo, after an idempotent repeat has had its stored answer (which sends nothing). The caller's
     * allowance last: a call refused before it takes none of it. Returns the turn in flight, to end
     * once the call answered.
     */
    private Runnable admit(OperationIntent intent) {
        domo.refuseWhileCircuitOpen();
        Runnable leave = rateLimiter.enterInFlight();
        boolean admitted = false;
        try {
            rateLimiter.acquire(intent.requestedBy());
            admitted = true;
        } finally {
            if (!admitted) {
                leave.run();
            }
        }
        return leave;
    }

    /**
     * Runs one migration or reversal through the audited path: the intent's scopes checked (403
     * out-of-scope, nothing recorded), intent committed, Domo called, outcome recorded.
     * {@code sameTransaction} writes what must commit with the intent, or not at all (an
     * Idempotency-Key's link, a plan item's claim on the operation); null when nothing does.
     */
    public Operation perform(OperationIntent intent, Consumer<Operation> sameTransaction) {
        requireInScope(intent);
        return performInScope(intent, sameTransaction);
    }

    /** Whether the key's first request recorded an operation allowed with the scopes this repeat carries. */
    private boolean allowedWithTheSameGrant(IdempotencyStore.Claim claim, OperationIntent intent) {
        UUID operationId = claim instanceof IdempotencyStore.Claim.Replay replay ? replay.operationId()
                : claim instanceof IdempotencyStore.Claim.ReplayOperation died ? died.operationId() : null;
        return operationId != null && operations.find(operationId)
                .map(first -> Objects.equals(first.intent().scopes(), intent.scopes())).orElse(false);
    }

    /** A reversal whose scopes allow some accounts only: whether they allow it depends on the trail. */
    private static boolean scopeDependsOnTrail(OperationIntent intent) {
        Scopes scopes = intent.scopes() == null ? Scopes.UNRESTRICTED : intent.scopes();
        return intent.direction() == Direction.V2_TO_V1 && scopes.restrictsAccounts()
                && scopes.allowsDatasource(intent.datasourceId());
    }

    /**
     * 403 out-of-scope unless the intent's own scopes (the requester's, or a plan creator's as they
     * were at creation) allow it; an intent without scopes (recorded before they existed) has no
     * restriction.
     */
    private void requireInScope(OperationIntent intent) {
        scopeRefusal(intent, intent.scopes() == null ? Scopes.UNRESTRICTED : intent.scopes()).ifPresent(refusal -> {
            throw refusal.problem();
        });
    }

    private Operation performInScope(OperationIntent intent, Consumer<Operation> sameTransaction) {
        Operation pending = operations.recordIntent(intent, scopeDependsOnTrail(intent)
                ? recorded -> {
                    // Again with the intent recorded, in its transaction: it holds the datasource now, so no
                    // migration of it is in flight. Checked only before, a reversal could pass while a
                    // migration into an account in scope was PENDING, and be recorded once Domo had refused
                    // that migration: a reversal out of an account outside the caller's scopes.
                    requireInScope(intent);
                    if (sameTransaction != null) {
                        sameTransaction.accept(recorded);
                    }
                }
                : sameTransaction);
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
        } catch (Throwable e) {
            // Anything else, even a checked exception a library throws undeclared: the outcome is recorded.
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

    /**
     * The accounts a reversal of the data source may take it out of: those of its recorded
     * migrations that took effect or may have since its last reversal. One Domo refused (ABORTED, or
     * FAILED as {@link Operation#mayHaveTakenEffect} tells) left the data source where it was, and
     * one whose effect is uncertain must not hide the one before it that took effect: neither may
     * decide alone whose scope a reversal needs.
     */
    private Set<String> accountsToReverseFrom(String datasourceId) {
        return operations.accountsToReverseFrom(List.of(datasourceId)).getOrDefault(datasourceId, Set.of());
    }

    /**
     * Domo's list as it is (its bytes, untouched) when the scope is unrestricted; nothing, without
     * asking Domo, when the scope is empty; otherwise the items in scope.
     */
    private Uni<DomoList> inScope(List<String> scope, Supplier<Uni<DomoList>> list, Predicate<JsonNode> allowed) {
        if (scope == null) {
            return list.get();
        }
        if (scope.isEmpty()) {
            return Uni.createFrom().item(DomoList.ofTree(json, json.createArrayNode()));
        }
        return list.get().map(all -> {
            ArrayNode kept = json.createArrayNode();
            for (JsonNode item : all.tree()) {
                if (allowed.test(item)) {
                    kept.add(item);
                }
            }
            return DomoList.ofTree(json, kept);
        });
    }

    private static String id(JsonNode item) {
        JsonNode id = item.get("id");
        return id != null && id.isTextual() ? id.textValue() : null;
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
