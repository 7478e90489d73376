package com.domomigrationproxy.domo;

import io.smallrye.mutiny.Uni;

/**
 * Where the five calls go: Domo over HTTP, or the built-in sandbox. Implementations return what
 * came back, whatever its status, and throw {@link DomoTransportException} when nothing usable did.
 * Deadlines are the caller's ({@link DomoClient}'s fault-tolerance guards). The three reads never
 * block the thread that subscribes (the API serves them on the event loop); the two writes block.
 */
public interface DomoUpstream {

    Uni<DomoAnswer> types();

    Uni<DomoAnswer> accounts(String integrationType);

    Uni<DomoAnswer> candidates(String accountId);

    DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body);

    DomoAnswer reverse(String datasourceId);

    /**
     * What an upstream throws when the caller's deadline cut its answer off (the guards interrupt
     * the calling thread), as the HTTP client's read timeout does: the call counts as timed out,
     * not as the answer nobody read.
     */
    static RuntimeException cutOffAtDeadline() {
        return new DomoTransportException(DomoTransportException.Kind.DEADLINE, null);
    }
}
