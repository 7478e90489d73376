package com.domomigrationproxy.audit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import org.hibernate.exception.ConstraintViolationException;
import org.jboss.logging.Logger;

import com.domomigrationproxy.observability.ProxyMetrics;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Writes the audit trail: the intent is committed before Domo is called, the outcome after, each
 * with its link in the hash chain ({@link AuditChain}) in the same transaction. Each write is its
 * own transaction, committed before anything else happens, so that a failure to commit is seen
 * here (programmatic transactions rather than {@code @Transactional}, whose commit would happen
 * after these methods return).
 */
@ApplicationScoped
public class AuditTrail {

    private static final String IN_FLIGHT_CONSTRAINT = "uq_operation_in_flight";
    private static final Logger LOG = Logger.getLogger(AuditTrail.class);

    @Inject
    ProxyMetrics metrics;

    /**
     * Commits the PENDING row. Throws 409 when another operation holds the datasource and 503 when
     * the audit store cannot take the row; in both cases Domo must not be called.
     */
    public Operation recordIntent(OperationIntent intent) {
        OperationRecord record = new OperationRecord();
        record.operationId = UUID.randomUUID();
        record.direction = intent.direction();
        record.datasourceId = intent.datasourceId();
        record.accountId = intent.accountId();
        record.catalog = intent.catalog();
        record.schema = intent.schema();
        record.table = intent.table();
        record.requestedBy = intent.requestedBy();
        record.authMethod = intent.authMethod();
        record.requestId = intent.requestId();
        record.clientAddress = intent.clientAddress();
        // PostgreSQL keeps microseconds; the answer must match what a later read returns.
        record.requestedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        record.state = OperationState.PENDING;
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                record.persistAndFlush();
                AuditChain.append(OperationRecord.getEntityManager(), record.operationId, AuditChain.INTENT,
                        AuditChain.intentPayload(record.toOperation()));
            });
        } catch (RuntimeException e) {
            if (isInFlightConflict(e)) {
                throw inFlight(intent.datasourceId());
            }
            metrics.auditWriteFailed(ProxyMetrics.AuditPhase.INTENT);
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE,
                    "The audit store cannot record this operation, so Domo was not called; retry later", e);
        }
        return record.toOperation();
    }

    /**
     * Records the outcome of a PENDING operation: one UPDATE that only a PENDING row matches, and
     * its chain link, in one transaction. If the store fails now, Domo has already acted: the
     * answer still goes to the caller, the row stays PENDING for reconciliation, and the outcome is
     * logged so that it is not lost.
     */
    public Operation recordOutcome(Operation pending, Outcome outcome) {
        metrics.operationFinished(pending.direction(), outcome.state());
        Operation done = completed(pending, outcome, Instant.now().truncatedTo(ChronoUnit.MICROS));
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                EntityManager entityManager = OperationRecord.getEntityManager();
                int updated = entityManager.createNativeQuery("UPDATE operation SET state = ?1, toe = ?2,"
                        + " start_time = ?3, end_time = ?4, error_message = ?5, upstream_status = ?6,"
                        + " duration_ms = ?7, completed_at = ?8 WHERE operation_id = ?9 AND state = 'PENDING'")
                        .setParameter(1, done.state().name())
                        .setParameter(2, done.toe())
                        .setParameter(3, done.startTime())
                        .setParameter(4, done.endTime())
                        .setParameter(5, done.errorMessage())
                        .setParameter(6, done.upstreamStatus())
                        .setParameter(7, done.durationMs())
                        .setParameter(8, done.completedAt())
                        .setParameter(9, done.operationId())
                        .executeUpdate();
                if (updated != 1) {
                    throw new IllegalStateException("operation " + done.operationId() + " is no longer PENDING");
                }
                AuditChain.append(entityManager, done.operationId(), AuditChain.OUTCOME,
                        AuditChain.outcomePayload(done));
            });
            return done;
        } catch (RuntimeException e) {
            metrics.auditWriteFailed(ProxyMetrics.AuditPhase.OUTCOME);
            LOG.errorf(e, "AUDIT OUTCOME NOT RECORDED: operation %s stays PENDING although Domo answered state=%s toe=%s",
                    pending.operationId(), outcome.state(), outcome.toe());
            return completed(pending, outcome, null);
        }
    }

    private static Operation completed(Operation pending, Outcome outcome, Instant completedAt) {
        return new Operation(pending.operationId(), pending.direction(), pending.datasourceId(), pending.accountId(),
                pending.catalog(), pending.schema(), pending.table(), outcome.state(), outcome.toe(),
                outcome.startTime(), outcome.endTime(), outcome.errorMessage(), pending.requestedBy(),
                pending.requestedAt(), completedAt, pending.requestId(), outcome.upstreamStatus(),
                pending.authMethod(), pending.clientAddress(), outcome.durationMs(), null, null);
    }

    /**
     * Records, next to an UNKNOWN or abandoned PENDING operation, what Domo showed later. Returns
     * empty when another replica reconciled it first or its outcome arrived meanwhile.
     */
    public Optional<Operation> recordReconciliation(UUID operationId, OperationState reconciledState, String note) {
        return QuarkusTransaction.requiringNew().call(() -> {
            OperationRecord record = OperationRecord.getEntityManager()
                    .find(OperationRecord.class, operationId, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
            if (record == null || record.reconciledAt != null
                    || (record.state != OperationState.PENDING && record.state != OperationState.UNKNOWN)) {
                return Optional.<Operation>empty();
            }
            record.reconciledState = reconciledState;
            record.reconciledAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
            record.reconciliationNote = note;
            record.flush();
            Operation reconciled = record.toOperation();
            AuditChain.append(OperationRecord.getEntityManager(), operationId, AuditChain.RECONCILIATION,
                    AuditChain.reconciliationPayload(reconciled));
            return Optional.of(reconciled);
        });
    }

    /** Operations whose outcome nobody knows: UNKNOWN, or PENDING since before {@code pendingBefore}. */
    public List<Operation> unresolved(Instant pendingBefore, int limit) {
        return QuarkusTransaction.requiringNew().call(() -> OperationRecord.<OperationRecord>find(
                "reconciledAt is null and (state = ?1 or (state = ?2 and requestedAt < ?3)) order by requestedAt",
                OperationState.UNKNOWN, OperationState.PENDING, pendingBefore)
                .page(0, limit).list().stream().map(OperationRecord::toOperation).toList());
    }

    /** The account a datasource was last migrated to, to find it among the candidates again. */
    public Optional<String> lastMigrationAccount(String datasourceId) {
        return QuarkusTransaction.requiringNew().call(() -> OperationRecord.<OperationRecord>find(
                "datasourceId = ?1 and direction = ?2 order by requestedAt desc", datasourceId, Direction.V1_TO_V2)
                .firstResultOptional().map(record -> record.accountId));
    }

    private ProblemException inFlight(String datasourceId) {
        Optional<OperationRecord> holder = holder(datasourceId);
        String detail = holder.filter(record -> record.state == OperationState.UNKNOWN).isPresent()
                ? "Datasource " + datasourceId + " has an operation whose outcome is unknown (Domo did not answer in"
                        + " time); it stays locked until that outcome is reconciled with Domo"
                : "Another migration or reversal of datasource " + datasourceId
                        + " is in progress; wait for its outcome before starting another";
        ProblemException conflict = new ProblemException(409, ProblemType.OPERATION_IN_PROGRESS, detail);
        return holder.map(record -> conflict.withRunningOperationId(record.operationId)).orElse(conflict);
    }

    private static Optional<OperationRecord> holder(String datasourceId) {
        try {
            return QuarkusTransaction.requiringNew().call(() -> OperationRecord.<OperationRecord>find(
                    "datasourceId = ?1 and state in (?2, ?3) and reconciledAt is null", datasourceId,
                    OperationState.PENDING, OperationState.UNKNOWN).firstResultOptional());
        } catch (RuntimeException e) {
            LOG.warnf("Could not look up the operation holding datasource %s: %s", datasourceId,
                    e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    private static boolean isInFlightConflict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConstraintViolationException violation
                    && IN_FLIGHT_CONSTRAINT.equals(violation.getConstraintName())) {
                return true;
            }
        }
        return false;
    }
}
