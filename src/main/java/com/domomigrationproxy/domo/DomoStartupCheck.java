package com.domomigrationproxy.domo;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.StartupEvent;

/** Refuses to start against Domo without the two settings every call needs. */
@ApplicationScoped
class DomoStartupCheck {

    void onStart(@Observes StartupEvent event, DomoConfig config, DomoTokenProvider tokens) {
        if (config.sandbox().enabled()) {
            return;
        }
        if (config.baseUrl().isEmpty()) {
            throw new IllegalStateException("DOMO_BASE_URL is required unless DOMO_SANDBOX_ENABLED=true");
        }
        if (!tokens.configured()) {
            throw new IllegalStateException(
                    "DOMO_DEVELOPER_TOKEN_FILE or DOMO_DEVELOPER_TOKEN is required unless DOMO_SANDBOX_ENABLED=true");
        }
    }
}
