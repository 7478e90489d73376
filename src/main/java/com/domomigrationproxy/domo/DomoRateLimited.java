package com.domomigrationproxy.domo;

/**
 * Domo answered 429 to a migration or reversal of the service's, whoever sent it (a caller of the
 * API, a plan's item). Domo limits the service's token, not one caller, so what sends migrations in
 * bulk waits this out too (fired synchronously, on the thread that read the answer). A read's 429
 * is not one: reads have no per-caller limit here, and a caller polling through Domo's limit would
 * hold the plans back for as long as it polls.
 */
public record DomoRateLimited(long retryAfterSeconds) {
}
