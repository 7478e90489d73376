package com.domomigrationproxy.sandbox;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoConfig;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/** Makes sure nobody mistakes the sandbox for Domo outside dev mode. */
@ApplicationScoped
class SandboxModeNotice {

    private static final Logger LOG = Logger.getLogger(SandboxModeNotice.class);

    void onStart(@Observes StartupEvent event, DomoConfig config) {
        if (config.sandbox().enabled() && LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            LOG.warn("DOMO_SANDBOX_ENABLED=true: every answer comes from the built-in Domo sandbox, not from Domo."
                    + " No real data source is listed, migrated or reversed.");
        }
    }
}
