package com.domomigrationproxy.migration;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.Operation.LateAnswer;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.RowPage;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.DatasourceIds;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.scheduler.Scheduled;

/**
 * Resolves operations nobody knows the outcome of: UNKNOWN (Domo did not answer in time) and
 * PENDING ones abandoned by a process that died mid-call. It concludes only from evidence that can
 * tell: Domo's candidates (migrated, and a migrationDate after the request) together with the
 * datasource's state before the request as the trail records it. Where they cannot tell, the
 * operation is flagged for a person (REVIEW), never guessed. Findings are recorded next to the
 * operation, append-only; the datasource stays locked until then. Every replica may run it; the
 * database lets only one record each finding.
 */
@ApplicationScoped
public class OperationReconciler {

    private static final int BATCH = 100;
    /** The least epoch-milliseconds migrationDate read as one: 2001-09-09. */
    static final long EPOCH_MILLIS_FROM = 1_000_000_000_000L;
    private static final Logger LOG = Logger.getLogger(OperationReconciler.class);

    private final OperationStore operations;
    private final DomoClient domo;
    private final ReconciliationConfig config;
    private final DomoConfig domoConfig;

    @Inject
    OperationReconciler(OperationStore operations, DomoClient domo, ReconciliationConfig config,
            DomoConfig domoConfig) {
        this.operations = operations;
        this.domo = domo;
        this.config = config;
        this.domoConfig = domoConfig;
    }

    @Scheduled(identity = "reconciliation", every = "${proxy.reconciliation.interval:60s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduledPass() {
        try {
            reconcileNow();
        } catch (RuntimeException e) {
            LOG.warnf("Reconciliation pass failed: %s", e.getMessage());
        }
    }

    /**
     * One pass over every unresolved operation, a page at a time (operations that cannot be
     * concluded yet must not keep newer ones from being looked at); returns how many were
     * resolved or flagged. Each operation reads its account's candidates when it is looked at, so
     * that the evidence is never older than the decision about what it may show; an account whose
     * candidates could not be read is not asked again in the same pass (a failing account must
     * not be asked once per operation, nor trip the circuit breaker for everyone).
     */
    public int reconcileNow() {
        Instant pendingBefore = abandonedBefore();
        Map<String, ProblemException> unreadable = new HashMap<>();
        int seen = 0;
        int concluded = 0;
        RowPage<Operation> page = operations.unresolved(pendingBefore, null, BATCH);
        while (true) {
            for (Operation operation : page.items()) {
                seen++;
                if (!operations.outcomeBacklogged(operation.operationId()) && reconcile(operation, unreadable)) {
                    concluded++;
                }
            }
            if (!page.more()) {
                break;
            }
            page = operations.unresolved(pendingBefore, page.last(), BATCH);
        }
        if (seen > 0) {
            LOG.infof("Reconciliation: %d of %d unresolved operation(s) resolved or flagged for a person", concluded,
                    seen);
        }
        return concluded;
    }

    /**
     * PENDING operations whose intent was recorded before this have certainly lost the process that
     * sent them: it calls Domo only once the intent is recorded, which may be long after the request
     * (the intent waits for the chain head's lock), and its wait ends by the deadline.
     */
    Instant abandonedBefore() {
        return Instant.now().minus(domoConfig.migrationTimeout()).minus(config.pendingGrace());
    }

    /** A PENDING operation whose process has certainly died ({@link #abandonedBefore}). */
    boolean abandoned(Operation operation) {
        return operation.state() == OperationState.PENDING
                && operations.intentRecordedAt(operation).isBefore(abandonedBefore());
    }

    /**
     * Whether Domo may still carry out an operation whose answer did not come in time: our deadline
     * ended the wait, not necessarily Domo's work. Until as long again has passed as a migration may
     * take (and the grace), only "it took effect" can be concluded from the candidates; "it did not"
     * could be overtaken, and would unlock the datasource for a second attempt.
     */
    boolean mayStillTakeEffect(Operation operation) {
        return settlesAt(operation).isAfter(Instant.now());
    }

    /**
     * When Domo can no longer be carrying out this operation: as long as a migration may take after
     * the wait for it ended (for an UNKNOWN one, when its deadline passed; for a PENDING one whose
     * process died, at the latest when its deadline would have, counted from its intent's record),
     * and the grace.
     */
    Instant settlesAt(Operation operation) {
        Instant waitEnded = switch (operation.state()) {
            case UNKNOWN -> operation.outcome().completedAt();
            case PENDING -> operations.intentRecordedAt(operation).plus(domoConfig.migrationTimeout());
            default -> null;
        };
        return waitEnded == null ? Instant.MIN : waitEnded.plus(domoConfig.migrationTimeout()).plus(config.pendingGrace());
    }

    /**
     * What the trail says the datasource was before the operation: migrated, not migrated, or unknown
     * (empty); and, when unknown, whether that comes from an earlier operation that may have acted
     * (INCOMPLETE, UNKNOWN, …) rather than from an empty trail: a migration date just after the
     * request may then be that operation's, as it may be a completed migration's.
     */
    record Before(Optional<Boolean> migrated, boolean earlierMayHaveActed) {
    }

    static Before before(List<Operation> history, Map<UUID, LateAnswer> late, Operation operation) {
        Optional<Boolean> migrated = Optional.empty();
        boolean uncertain = false;
        for (Operation earlier : recordedBefore(history, operation)) {
            LateAnswer itsLateAnswer = late.get(earlier.operationId());
            if (earlier.tookEffect(itsLateAnswer)) {
                migrated = Optional.of(earlier.direction() == Direction.V1_TO_V2);
                uncertain = false;
            } else if (earlier.mayHaveTakenEffect(itsLateAnswer)) {
                // INCOMPLETE, UNKNOWN, PENDING, FAILED on an answer that does not show Domo did
                // nothing (a 5xx, an unreadable 2xx), or resolved while Domo's answer, written late,
                // says otherwise: nobody knows what it left.
                migrated = Optional.empty();
                uncertain = true;
            } // ABORTED, or FAILED as Domo refused it: nothing changed
        }
        return new Before(migrated, uncertain);
    }

    private boolean reconcile(Operation operation, Map<String, ProblemException> unreadable) {
        // While Domo may still carry it out, only "it took effect" is concluded: no "it did not",
        // and no case for a person either, who could then record ABORTED and unlock the datasource.
        boolean early = mayStillTakeEffect(operation);
        List<Operation> history = operations.history(operation.datasourceId());
        Map<UUID, LateAnswer> late = operations.lateAnswers(operation.datasourceId());
        Before trail = before(history, late, operation);
        Optional<Boolean> before = trail.migrated();
        Optional<String> account = operation.direction() == Direction.V1_TO_V2
                ? Optional.ofNullable(operation.intent().accountId())
                : lastMigrationAccount(history, late, operation);
        if (account.isEmpty()) {
            return !early && flag(operation, "no migration of datasource " + operation.datasourceId() + " is recorded, so it is"
                    + " not known under which account Domo lists it");
        }
        JsonNode candidates = null;
        ProblemException failure = unreadable.get(account.get());
        if (failure == null) {
            try {
                candidates = domo.listCandidates(account.get());
            } catch (ProblemException e) { // a DomoCallException too
                failure = e;
                unreadable.put(account.get(), e);
            }
        }
        if (failure instanceof DomoCallException e) {
            if (!e.cutOff() && refusedForGood(e.upstreamStatus())) {
                return !early && flag(operation, "Domo refused the candidates of account " + account.get() + " (HTTP "
                        + e.upstreamStatus() + ")");
            }
            LOG.warnf("Cannot reconcile operation %s now: candidates of account %s: %s", operation.operationId(),
                    account.get(), e.detail());
            return false;
        }
        if (failure != null) {
            LOG.warnf("Cannot reconcile operation %s now: %s", operation.operationId(), failure.detail());
            return false;
        }
        JsonNode candidate = find(candidates, operation.datasourceId());
        if (candidate == null || !candidate.path("migrated").isBoolean()) {
            return !early && flag(operation, "datasource " + operation.datasourceId() + " is not among the candidates of account "
                    + account.get() + " with a migrated flag");
        }
        boolean migrated = candidate.get("migrated").booleanValue();
        Optional<Instant> migrationDate = instant(candidate.path("migrationDate"));
        // The request's time is when its intent was recorded (Domo was called only after that), not
        // requestedAt: an intent that waited for the audit store is recorded after migrations of the
        // same data source that were requested later, and must not be credited with their dates.
        Instant requested = operations.intentRecordedAt(operation);
        Finding finding = operation.direction() == Direction.V1_TO_V2
                ? migration(requested, migrated, migrationDate, before, trail.earlierMayHaveActed())
                : reversal(requested, migrated, migrationDate, before);
        String shown = "Domo's candidates of account " + account.get() + " showed migrated=" + migrated
                + migrationDate.map(date -> " (migrationDate " + date + ")").orElse("") + "; the trail shows it "
                + before.map(was -> was ? "migrated" : "not migrated").orElse("in an unknown state")
                + " before the request (recorded at " + requested + "): ";
        if (finding.state() != OperationState.COMPLETE && early) {
            return false;
        }
        if (finding.state() == null) {
            return flag(operation, shown + finding.why());
        }
        return operations.recordReconciliation(operation.operationId(), finding.state(), shown + finding.why(), null)
                .isPresent();
    }

    private record Finding(OperationState state, String why) {

        static Finding cannotTell(String why) {
            return new Finding(null, why);
        }
    }

    private Finding migration(Instant requested, boolean migrated, Optional<Instant> date, Optional<Boolean> before,
            boolean earlierMayHaveActed) {
        if (!migrated) {
            return before.orElse(false)
                    ? Finding.cannotTell("it was migrated before and is not now, which no migration does")
                    : new Finding(OperationState.ABORTED, "the migration did not take effect");
        }
        if (date.isPresent() && !date.get().isBefore(requested)) {
            // Migrated before the request by the trail, or maybe by an earlier operation whose outcome is not
            // known (an INCOMPLETE one that this request re-attempts, say): a date just after the request may
            // be that earlier migration's, read on a Domo clock ahead of ours.
            boolean maybeEarlier = before.orElse(false) || before.isEmpty() && earlierMayHaveActed;
            return maybeEarlier && date.get().isBefore(requested.plus(config.clockSkew()))
                    ? Finding.cannotTell(before.isPresent()
                            ? "it was migrated before the request, and the migration date is too close after it to tell"
                                    + " whether this request migrated it again"
                            : "an earlier operation may have migrated it, and the migration date is too close after the"
                                    + " request to tell whether this request did")
                    : new Finding(OperationState.COMPLETE, "the migration took effect");
        }
        if (date.isPresent() && before.isPresent() && !before.get()
                && date.get().isBefore(requested.minus(config.clockSkew()))) {
            // Reversed since, by the trail: Domo dating its migration before the request contradicts it.
            // Domo may keep a first migration's date across a reversal, and this request then migrated it.
            return Finding.cannotTell("the trail shows it reversed before the request, yet Domo dates its migration"
                    + " before the request: Domo may have kept an earlier migration's date");
        }
        if (date.isPresent() && (before.orElse(false) || date.get().isBefore(requested.minus(config.clockSkew())))) {
            return new Finding(OperationState.ABORTED,
                    "it was already migrated before the request, so this migration did not take effect");
        }
        if (date.isEmpty() && before.isPresent() && !before.get()) {
            return new Finding(OperationState.COMPLETE, "it was not migrated before and is now: the migration took effect");
        }
        return Finding.cannotTell("the migration date cannot tell whether this request migrated it");
    }

    private Finding reversal(Instant requested, boolean migrated, Optional<Instant> date, Optional<Boolean> before) {
        if (migrated) {
            if (date.isPresent() && date.get().isAfter(requested)) {
                return Finding.cannotTell("it was migrated again after the request");
            }
            return new Finding(OperationState.ABORTED, "it is still migrated: the reversal did not take effect");
        }
        if (before.isEmpty()) {
            return Finding.cannotTell("whether it was migrated before the request is not known");
        }
        return before.get() ? new Finding(OperationState.COMPLETE, "the reversal took effect")
                : new Finding(OperationState.ABORTED, "it was not migrated, so the reversal had nothing to undo");
    }

    private boolean flag(Operation operation, String reason) {
        return operations.flagForReview(operation.operationId(), reason).map(flagged -> {
            LOG.warnf("Operation %s of datasource %s needs a person: %s", flagged.operationId(), flagged.datasourceId(),
                    reason);
            return true;
        }).orElse(false);
    }

    /**
     * The account of the last migration of the datasource, before this operation, that took effect or
     * may have: one Domo refused leaves the datasource where it was.
     */
    static Optional<String> lastMigrationAccount(List<Operation> history, Map<UUID, LateAnswer> late,
            Operation operation) {
        String account = null;
        for (Operation earlier : recordedBefore(history, operation)) {
            if (earlier.direction() == Direction.V1_TO_V2
                    && earlier.mayHaveTakenEffect(late.get(earlier.operationId()))) {
                account = earlier.intent().accountId();
            }
        }
        return Optional.ofNullable(account);
    }

    /**
     * The operations of the history ({@link OperationStore#history}: in the order intents were
     * recorded) before this one; all of them when it is not among them. Not by requestedAt: it is
     * stamped before an intent waits for the audit store, and an operation requested first may
     * have reached Domo second.
     */
    private static List<Operation> recordedBefore(List<Operation> history, Operation operation) {
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i).operationId().equals(operation.operationId())) {
                return history.subList(0, i);
            }
        }
        return history;
    }

    /**
     * A 4xx about the account, which a later pass would meet again: a person must look. Not 401
     * or 403 (the service's own token refused, which is mended and then the pass can tell), nor
     * 429 (Domo's rate limit): those wait for a later pass.
     */
    private static boolean refusedForGood(Integer status) {
        return status != null && status >= 400 && status < 500 && status != 401 && status != 403 && status != 429;
    }

    private static JsonNode find(JsonNode candidates, String datasourceId) {
        for (JsonNode candidate : candidates) {
            String id = candidate.path("id").asText(null);
            if (id != null && DatasourceIds.same(datasourceId, id)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Domo's migrationDate: an ISO-8601 instant or offset date-time, or epoch milliseconds; anything
     * else tells nothing. So does a number below {@value #EPOCH_MILLIS_FROM} (September 2001, before
     * Domo existed): epoch seconds, read as milliseconds, would date a migration of today to 1970,
     * "before the request", and the operation would be taken for one that did not take effect.
     */
    static Optional<Instant> instant(JsonNode value) {
        if (value.isIntegralNumber()) {
            return value.canConvertToLong() && value.longValue() >= EPOCH_MILLIS_FROM
                    ? Optional.of(Instant.ofEpochMilli(value.longValue())) : Optional.empty();
        }
        if (!value.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(value.textValue()).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
