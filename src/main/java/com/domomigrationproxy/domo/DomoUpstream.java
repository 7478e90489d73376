package com.domomigrationproxy.domo;

import java.time.Duration;

/**
 * Where the five calls go: Domo over HTTP, or the built-in sandbox. Implementations return what
 * came back, whatever its status, and throw {@link DomoTransportException} when nothing usable did.
 */
public interface DomoUpstream {

    DomoAnswer types(Duration deadline);

    DomoAnswer accounts(String integrationType, Duration deadline);

    DomoAnswer candidates(String accountId, Duration deadline);

    DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body, Duration deadline);

    DomoAnswer reverse(String datasourceId, Duration deadline);
}
