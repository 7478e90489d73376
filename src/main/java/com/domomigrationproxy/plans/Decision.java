package com.domomigrationproxy.plans;

/** An approver's decision on a plan. */
public enum Decision {
    APPROVE,
    REJECT
}
