package com.domomigrationproxy.reconciliation;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.audit.AuditTrail;
import com.domomigrationproxy.audit.Direction;
import com.domomigrationproxy.audit.Operation;
import com.domomigrationproxy.audit.OperationState;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.problem.ProblemException;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Resolves operations nobody knows the outcome of: UNKNOWN (Domo did not answer in time) and
 * PENDING ones abandoned by a process that died mid-call. It asks Domo's candidates whether the
 * datasource is migrated now and records the finding next to the operation, append-only; the
 * datasource stays locked until then. Runs shortly after start and then periodically; every
 * replica may run it, the database lets only one record each finding.
 */
@ApplicationScoped
public class OperationReconciler {

    private static final int BATCH = 100;
    private static final Logger LOG = Logger.getLogger(OperationReconciler.class);

    private final AuditTrail audit;
    private final DomoClient domo;
    private final IdempotencyStore idempotency;
    private final ReconciliationConfig config;
    private final DomoConfig domoConfig;
    private ScheduledExecutorService scheduler;

    @Inject
    OperationReconciler(AuditTrail audit, DomoClient domo, IdempotencyStore idempotency, ReconciliationConfig config,
            DomoConfig domoConfig) {
        this.audit = audit;
        this.domo = domo;
        this.idempotency = idempotency;
        this.config = config;
        this.domoConfig = domoConfig;
    }

    void start(@Observes StartupEvent event) {
        long intervalMillis = config.interval().toMillis();
        if (intervalMillis <= 0) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "operation-reconciler");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::runQuietly, Math.min(intervalMillis, 5_000), intervalMillis,
                TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    /** One pass over the unresolved operations; returns how many were reconciled. */
    public int reconcileNow() {
        Instant abandonedBefore = Instant.now().minus(domoConfig.migrationTimeout()).minus(config.pendingGrace());
        List<Operation> unresolved = audit.unresolved(abandonedBefore, BATCH);
        int reconciled = 0;
        for (Operation operation : unresolved) {
            if (reconcile(operation)) {
                reconciled++;
            }
        }
        int purged = idempotency.purgeExpired();
        if (!unresolved.isEmpty() || purged > 0) {
            LOG.infof("Reconciliation: %d of %d unresolved operation(s) reconciled; %d expired idempotency key(s) purged",
                    reconciled, unresolved.size(), purged);
        }
        return reconciled;
    }

    private boolean reconcile(Operation operation) {
        Optional<String> account = operation.direction() == Direction.V1_TO_V2
                ? Optional.ofNullable(operation.accountId())
                : audit.lastMigrationAccount(operation.datasourceId());
        if (account.isEmpty()) {
            LOG.warnf("Cannot reconcile operation %s: no account is known under which datasource %s is listed",
                    operation.operationId(), operation.datasourceId());
            return false;
        }
        JsonNode candidate;
        try {
            candidate = find(domo.listCandidates(account.get()), operation.datasourceId());
        } catch (ProblemException e) {
            LOG.warnf("Cannot reconcile operation %s now: candidates of account %s: %s", operation.operationId(),
                    account.get(), e.detail());
            return false;
        }
        if (candidate == null || !candidate.path("migrated").isBoolean()) {
            LOG.warnf("Cannot reconcile operation %s: datasource %s is not among the candidates of account %s",
                    operation.operationId(), operation.datasourceId(), account.get());
            return false;
        }
        boolean migrated = candidate.get("migrated").booleanValue();
        boolean tookEffect = operation.direction() == Direction.V1_TO_V2 ? migrated : !migrated;
        OperationState finding = tookEffect ? OperationState.COMPLETE : OperationState.ABORTED;
        String note = "Domo's candidates of account " + account.get() + " showed migrated=" + migrated
                + (candidate.hasNonNull("migrationDate") ? " (migrationDate " + candidate.get("migrationDate").asText() + ")" : "")
                + ": the " + (operation.direction() == Direction.V1_TO_V2 ? "migration" : "reversal")
                + (tookEffect ? " took effect" : " did not take effect");
        return audit.recordReconciliation(operation.operationId(), finding, note).map(done -> {
            LOG.infof("Reconciled operation %s (%s, was %s): %s", done.operationId(), finding, operation.state(), note);
            return true;
        }).orElse(false);
    }

    private static JsonNode find(JsonNode candidates, String datasourceId) {
        for (JsonNode candidate : candidates) {
            if (datasourceId.equals(candidate.path("id").asText(null))) {
                return candidate;
            }
        }
        return null;
    }

    private void runQuietly() {
        try {
            reconcileNow();
        } catch (RuntimeException e) {
            LOG.warnf("Reconciliation pass failed: %s", e.getMessage());
        }
    }
}
