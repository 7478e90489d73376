package com.domomigrationproxy.domo;

/**
 * Domo's answer to migrate or reverse, as Domo worded it, and the HTTP status it came with.
 * {@code toe} is Domo's request id that Domo support asks for; times are kept as Domo sent them.
 */
public record DomoOperationResult(String toe, String datasourceId, String direction, String startTime,
        String state, String errorMessage, String endTime, int httpStatus) {
}
