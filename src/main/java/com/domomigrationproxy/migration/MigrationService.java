package com.domomigrationproxy.migration;

import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.audit.AuditTrail;
import com.domomigrationproxy.audit.Operation;
import com.domomigrationproxy.audit.OperationIntent;
import com.domomigrationproxy.audit.OperationState;
import com.domomigrationproxy.audit.Outcome;
import com.domomigrationproxy.audit.Requester;
import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoMigrationRequest;
import com.domomigrationproxy.domo.DomoOperationResult;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * The five operations. Migrate and reverse follow one rule: the intent is committed to the audit
 * trail before Domo is called (no record, no call), and the outcome is recorded whatever happens.
 */
@ApplicationScoped
public class MigrationService {

    private static final Logger LOG = Logger.getLogger(MigrationService.class);

    private final DomoClient domo;
    private final AuditTrail audit;

    @Inject
    MigrationService(DomoClient domo, AuditTrail audit) {
        this.domo = domo;
        this.audit = audit;
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

    public Operation migrate(String datasourceId, MigrationRequest request, Requester requester) {
        Operation pending = audit.recordIntent(OperationIntent.migration(datasourceId, request.accountId(),
                request.catalog(), request.schema(), request.table(), requester));
        return complete(pending, () -> domo.migrate(datasourceId, request.accountId(),
                new DomoMigrationRequest(request.catalog(), request.schema(), request.table())));
    }

    public Operation reverse(String datasourceId, Requester requester) {
        Operation pending = audit.recordIntent(OperationIntent.reversal(datasourceId, requester));
        return complete(pending, () -> domo.reverse(datasourceId));
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

    private static long elapsedMillis(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
