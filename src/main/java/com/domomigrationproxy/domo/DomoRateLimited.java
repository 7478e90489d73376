package com.domomigrationproxy.domo;

/**
 * Domo answered 429 to one of the service's calls, whichever it was (a read, a single migration, a
 * plan's item). Domo limits the service's token, not one caller, so what sends to Domo in bulk
 * waits this out too (fired synchronously, on the thread that read the answer).
 */
public record DomoRateLimited(long retryAfterSeconds) {
}
