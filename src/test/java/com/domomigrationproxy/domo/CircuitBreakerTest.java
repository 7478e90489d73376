package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.nio.file.Files;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.ShortFuses;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The breaker opens after repeated Domo failures, answers 503 without calling Domo, and closes again. */
@QuarkusTest
@TestProfile(ShortFuses.class)
class CircuitBreakerTest {

    @InjectDomo
    WireMockServer domo;

    @Test
    void opensAndCloses() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(500)));
        for (int i = 0; i < 3; i++) {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(502);
        }
        Api.asReader().get("/api/v1/integration-types").then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-circuit-open"))
                .header("Retry-After", notNullValue());
        domo.verify(3, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));

        // A migration while open is refused before anything is recorded or sent.
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(503)
                .body("operationId", org.hamcrest.Matchers.nullValue());
        domo.verify(0, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[\"t\"]")));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> Api.asReader().get("/api/v1/integration-types").then().statusCode(200));
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        domo.verify(5, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));
    }

    /**
     * The half-open trial may fail without reaching Domo (no token to send): that is no Domo
     * failure, so the breaker closes instead of refusing every later call until a restart.
     */
    @Test
    void aTrialThatNeverReachedDomoLetsTheBreakerRecover() throws Exception {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(503)));
        for (int i = 0; i < 3; i++) {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(502);
        }
        Api.asReader().get("/api/v1/integration-types").then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-circuit-open"));
        Files.deleteIfExists(ShortFuses.TOKEN_FILE);
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> Api.asReader()
                    .get("/api/v1/integration-types").then().statusCode(502)
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-token-unavailable")));
        } finally {
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[\"t\"]")));
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
    }

    @Test
    void clientErrorsDoNotOpenIt() {
        domo.resetAll();
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/accounts/.*")).willReturn(aResponse().withStatus(404)));
        for (int i = 0; i < 5; i++) {
            Api.asReader().get("/api/v1/integration-types/nope/accounts").then().statusCode(404);
        }
    }
}
