package com.domomigrationproxy.web;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start when {@code X-Forwarded-For} is believed from anyone: with address forwarding
 * on and no trusted proxies, Quarkus takes any caller's header as the client address, so a
 * caller with a stolen API key could record the key owner's usual address in every audit row,
 * access event and principal's last use, the very field auditors read to spot a stolen key. Not
 * in dev mode.
 */
@ApplicationScoped
class ForwardingCheck {

    void onStart(@Observes StartupEvent event, Config config) {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            problem(config).ifPresent(problem -> {
                throw new IllegalStateException(problem);
            });
        }
    }

    static Optional<String> problem(Config config) {
        boolean forwarding = config.getOptionalValue("quarkus.http.proxy.proxy-address-forwarding", Boolean.class)
                .orElse(false);
        boolean trusted = config.getOptionalValue("quarkus.http.proxy.trusted-proxies", String.class)
                .filter(value -> !value.isBlank()).isPresent();
        if (forwarding && !trusted) {
            return Optional.of("QUARKUS_HTTP_PROXY_PROXY_ADDRESS_FORWARDING=true needs QUARKUS_HTTP_PROXY_TRUSTED_PROXIES:"
                    + " without it, X-Forwarded-For is believed from any caller, who could record any client address in"
                    + " the audit trail; name the load balancer's addresses (IPs or CIDRs)");
        }
        return Optional.empty();
    }
}
