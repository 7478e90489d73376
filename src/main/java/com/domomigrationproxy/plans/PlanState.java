package com.domomigrationproxy.plans;

/** Where a plan stands (contract: Plans). */
public enum PlanState {
    /** Created and preflighted; waits for PROXY_PLAN_APPROVALS_REQUIRED approvals. */
    AWAITING_APPROVAL,
    /** Enough approvals; may be started until they expire. */
    APPROVED,
    /** An approver rejected it. Final. */
    REJECTED,
    /** Its approvals expired before it was started. Final: upload it again for a new approval. */
    EXPIRED,
    /** Items are being sent. */
    RUNNING,
    /** No new item starts; items in flight finish. */
    PAUSED,
    /** Stopped for good: items that had not started are skipped; items in flight finish. */
    CANCELLED,
    /** Every item ran, was skipped, or its unknown outcome was reconciled. */
    FINISHED;

    /** Nothing will be sent for the plan any more (a FINISHED plan reopens only for an explicit retry). */
    public boolean done() {
        return this == REJECTED || this == EXPIRED || this == CANCELLED || this == FINISHED;
    }
}
