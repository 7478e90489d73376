package com.domomigrationproxy.ledger;

/**
 * What a plan's item follows of its operation: its state, Domo's status, and the state a person or
 * the reconciler resolved it to (null when not reconciled). Read on its own for many operations at
 * once ({@link OperationStore#statuses}), since their rows repeat their callers' scopes.
 */
public record OperationStatus(OperationState state, Integer upstreamStatus, OperationState reconciledState) {

    public static OperationStatus of(Operation operation) {
        return new OperationStatus(operation.state(), operation.outcome().upstreamStatus(),
                operation.reconciliation() == null ? null : operation.reconciliation().state());
    }
}
