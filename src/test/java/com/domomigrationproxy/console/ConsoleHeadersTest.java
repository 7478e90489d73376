package com.domomigrationproxy.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.quarkus.oidc.OidcConfigurationMetadata;
import io.vertx.core.json.JsonObject;

/**
 * A console form may lead to the provider's sign-in and sign-out wherever its discovery document
 * puts them: a browser holds the redirect a form's answer gives to the form-action, so a sign-out
 * to a hosted logout domain was blocked, and the provider's session lived on.
 */
class ConsoleHeadersTest {

    @Test
    void formsMayLeadToTheProvidersSignInAndSignOutOnHostsOfTheirOwn() {
        OidcConfigurationMetadata metadata = new OidcConfigurationMetadata(new JsonObject()
                .put("issuer", "https://login.example.com/realms/x")
                .put("authorization_endpoint", "https://auth.example.net:8443/oauth2/authorize")
                .put("end_session_endpoint", "https://logout.example.org/logout?client=1"));
        assertThat(ConsoleHeaders.policy(Optional.of("https://login.example.com/realms/x"), metadata))
                .contains("; form-action 'self' https://login.example.com https://auth.example.net:8443"
                        + " https://logout.example.org; ");
    }

    @Test
    void withoutDiscoveredEndpointsFormsLeadHereOrToTheIssuer() {
        assertThat(ConsoleHeaders.policy(Optional.of("https://login.example.com/realms/x"), null))
                .contains("; form-action 'self' https://login.example.com; ");
        // Endpoints on the issuer's origin, or none at all, add nothing.
        OidcConfigurationMetadata same = new OidcConfigurationMetadata(new JsonObject()
                .put("authorization_endpoint", "https://login.example.com/realms/x/auth"));
        assertThat(ConsoleHeaders.policy(Optional.of("https://login.example.com/realms/x"), same))
                .contains("; form-action 'self' https://login.example.com; ");
        assertThat(ConsoleHeaders.policy(Optional.empty(), null)).contains("; form-action 'self'; ");
    }
}
