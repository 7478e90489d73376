package com.domomigrationproxy.audit;

/** How an operation ended, as far as this service could tell. */
public record Outcome(OperationState state, String toe, String startTime, String endTime, String errorMessage,
        Integer upstreamStatus, long durationMs) {
}
