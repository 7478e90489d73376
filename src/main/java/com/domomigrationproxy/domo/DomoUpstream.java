package com.domomigrationproxy.domo;

/**
 * Where the five calls go: Domo over HTTP, or the built-in sandbox. Implementations return what
 * came back, whatever its status, and throw {@link DomoTransportException} when nothing usable did.
 * Deadlines are the caller's ({@link DomoClient}'s fault-tolerance guards).
 */
public interface DomoUpstream {

    DomoAnswer types();

    DomoAnswer accounts(String integrationType);

    DomoAnswer candidates(String accountId);

    DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body);

    DomoAnswer reverse(String datasourceId);
}
