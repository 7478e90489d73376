package com.domomigrationproxy.support;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;

import java.time.Duration;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * WireMock standing in for Domo on a dynamic port, so tests see the exact requests the service
 * sends upstream. Tests get the server through {@link InjectDomo}.
 */
public class DomoWireMock implements QuarkusTestResourceLifecycleManager {

    /** A token value that must never appear anywhere but in the upstream header. */
    public static final String CANARY_TOKEN = "canary-domo-token-7f3a9c1e5b";
    public static final String TOKEN_HEADER = "X-DOMO-Developer-Token";
    public static final String DOMO_PREFIX = "/api/query/migration/federated/v1/to/v2";
    /** How long the service waits for Domo's answer to a migration or reversal in the tests. */
    public static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(3);

    private WireMockServer server;

    /**
     * Forgets earlier stubs and requests; then Domo completes every migration and reversal at once,
     * with this toe.
     */
    public static void completesEverything(WireMockServer domo, String toe) {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"toe\":\"" + toe + "\",\"state\":\"COMPLETE\",\"startTime\":\"s\",\"endTime\":\"e\"}")));
    }

    /**
     * Forgets earlier stubs and requests; then Domo answers every call at once: one integration
     * type, no accounts or candidates, every migration and reversal complete with this toe.
     */
    public static void answersEverything(WireMockServer domo, String toe) {
        completesEverything(domo, toe);
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(json("[\"mysql-federated\"]")));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/types/.*/accounts.*")).willReturn(json("[]")));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/accounts/.*")).willReturn(json("[]")));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }

    @Override
    public Map<String, String> start() {
        server = new WireMockServer(WireMockConfiguration.options().dynamicPort().extensions(new HeldAnswers()));
        server.start();
        return Map.of(
                "domo.base-url", server.baseUrl(),
                "domo.developer-token", CANARY_TOKEN,
                "domo.sandbox.enabled", "false",
                "domo.read-timeout", "2s",
                "domo.migration-timeout", MIGRATION_TIMEOUT.toSeconds() + "s");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server,
                new TestInjector.AnnotatedAndMatchesType(InjectDomo.class, WireMockServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }
}
