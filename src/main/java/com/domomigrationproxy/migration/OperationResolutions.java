package com.domomigrationproxy.migration;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.RowPage;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;

/**
 * A person's word on an operation the service could not resolve: recorded as its reconciliation,
 * naming who decided, only for an operation nobody can still be waiting for, and only by an
 * operator whose scopes allow the operation. The API and the console's review queue both resolve
 * through here.
 */
@ApplicationScoped
public class OperationResolutions {

    private static final OperationQuery FLAGGED = new OperationQuery(null, null, null, null, null, null, null, null,
            true);
    /** Flagged operations read at a time while a scoped queue is filled. */
    private static final int QUEUE_BATCH = 500;

    private final OperationStore operations;
    private final OperationReconciler reconciler;
    private final MigrationService migrations;

    @Inject
    OperationResolutions(OperationStore operations, OperationReconciler reconciler, MigrationService migrations) {
        this.operations = operations;
        this.reconciler = reconciler;
        this.migrations = migrations;
    }

    /**
     * The queue of operations a person must resolve (flagged for review), newest first, at most
     * {@code size} and whether more follow: all of them, or with {@code within} only those these
     * scopes would let the caller resolve, so that an operator does not see data sources outside its
     * grant. Fewer when their rows are large ({@link RowPage}); then more follow too.
     */
    public RowPage<Operation> queue(Optional<Scopes> within, int size) {
        if (within.isEmpty()) {
            return operations.page(FLAGGED, null, size);
        }
        List<Operation> kept = new ArrayList<>();
        long bytes = 0;
        OperationQuery.Position after = null;
        while (true) {
            RowPage<Operation> batch = operations.page(FLAGGED, after, QUEUE_BATCH);
            for (Operation operation : migrations.allowedBy(within.get(), batch.items())) {
                if (RowPage.full(kept.size(), bytes, size)) {
                    return new RowPage<>(kept, true);
                }
                kept.add(operation);
                bytes += operation.scopesLength();
            }
            if (!batch.more()) {
                return new RowPage<>(kept, false);
            }
            after = new OperationQuery.Position(batch.last().requestedAt(), batch.last().operationId());
        }
    }

    /** Of these operations, those these scopes let the caller resolve. */
    public List<Operation> resolvableWithin(Scopes scopes, List<Operation> operations) {
        return migrations.allowedBy(scopes, operations);
    }

    public Operation resolve(UUID operationId, Resolution resolution, Requester requester) {
        Operation operation = operations.find(operationId).orElseThrow(() -> new ProblemException(404,
                ProblemType.NOT_FOUND, "No operation " + operationId));
        // Deciding how an operation ended is acting on its data source: the caller's scopes must allow the operation.
        // The caller sent only the operation's id: the refusal names no account or data source of it.
        migrations.scopeRefusal(operation.intent(), requester.scopes()).ifPresent(refusal -> {
            throw new ProblemException(403, ProblemType.OUT_OF_SCOPE, "Operation " + operationId + " is outside your "
                    + refusal.scope().member() + " scope");
        });
        boolean waitedOut = operation.review() != null || operation.state() == OperationState.UNKNOWN
                || (reconciler.abandoned(operation) && !operations.outcomeBacklogged(operationId));
        if (!operation.unresolved() || !waitedOut) {
            throw new ProblemException(409, ProblemType.OPERATION_RESOLVED, operation.unresolved()
                    ? "Operation " + operationId + " is still in flight; its outcome may yet arrive"
                    : "Operation " + operationId + " already has an outcome or a reconciliation");
        }
        if (resolution.state() != OperationState.COMPLETE) {
            Instant settles = reconciler.settlesAt(operation); // once: a PENDING one's reads its intent's record
            if (settles.isAfter(Instant.now())) {
                throw new ProblemException(409, ProblemType.OPERATION_RESOLVED, "Domo may still carry out operation "
                        + operationId + " until " + settles + ": COMPLETE can be recorded now, ABORTED after that");
            }
        }
        // How the person signed in and which request it was, in the chain's RECONCILIATION event: a JWT
        // subject and a console person may bear the same name, and the request's access log line has its
        // address (authn review). The address itself stays out: any reader sees the note.
        String by = "Resolved by " + requester.principal() + " (" + requester.authMethod()
                + (requester.requestId() == null ? "" : ", request " + requester.requestId()) + "): ";
        return operations.recordReconciliation(operationId, resolution.state(), by + resolution.note(),
                requester.principal())
                .orElseThrow(() -> new ProblemException(409, ProblemType.OPERATION_RESOLVED,
                        "Operation " + operationId + " was resolved meanwhile"));
    }
}
