package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The periodic token check: ok, rejected and unreachable are reported in the {@code domo} health
 * group, readiness stays UP through all of them, Domo is called on the check's schedule rather than
 * per health request, and no health answer or log line contains the token.
 */
@QuarkusTest
@TestProfile(DomoTokenHealthTest.FrequentChecks.class)
class DomoTokenHealthTest {

    private static final long INTERVAL_MILLIS = 500;

    public static class FrequentChecks implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.health.initial-delay", "100ms", "domo.health.check-interval", INTERVAL_MILLIS + "ms");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/health/group/domo", management = true)
    URL domoGroup;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @TestHTTPResource(value = "/health", management = true)
    URL health;

    @Test
    void reportsOkRejectedAndUnreachableWithoutMakingThePodUnready() throws Exception {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[\"mysql-federated\"]")));
        awaitState("ok", 200);
        var ok = given().get(domoGroup.toString()).jsonPath();
        assertThat(ok.getString("checks[0].data.lastOkAt")).isEqualTo(ok.getString("checks[0].data.lastCheckedAt"));
        given().get(readiness.toString()).then().statusCode(200)
                .body("checks.find { it.name == 'domo-upstream' }.data.tokenState", equalTo("ok"));

        // Domo rejects the token, and echoes it back for good measure.
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"status\":401,\"message\":\"bad token " + CANARY_TOKEN + "\",\"toe\":\"" + CANARY_TOKEN + "\"}")));
        awaitState("rejected", 503);
        given().get(domoGroup.toString()).then()
                .body("checks[0].data.problemType", equalTo("urn:problem-type:domo-migration-proxy:domo-rejected-credentials"))
                .body("checks[0].data.upstreamStatus", equalTo(401));
        String readyWhileRejected = given().get(readiness.toString()).then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'domo-upstream' }.data.tokenState", equalTo("rejected"))
                .extract().asString();
        // Groups are not part of /q/health either, so nothing that aggregates health goes DOWN with Domo.
        String allWhileRejected = given().get(health.toString()).then().statusCode(200).extract().asString();
        String groupWhileRejected = given().get(domoGroup.toString()).asString();

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        awaitState("unreachable", 503);
        given().get(readiness.toString()).then().statusCode(200);

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(503).withBody("down")));
        awaitState("unreachable", 503);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get(domoGroup.toString()).then()
                .body("checks[0].data.upstreamStatus", equalTo(503)));

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[]")));
        awaitState("ok", 200);

        assertThat(readyWhileRejected + allWhileRejected + groupWhileRejected).doesNotContain(CANARY_TOKEN);
        assertThat(Files.readString(Path.of("target", "quarkus-test.log")))
                .contains("Domo token check: rejected")
                .doesNotContain(CANARY_TOKEN);
    }

    @Test
    void healthRequestsDoNotCallDomo() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[]")));
        int before = domo.findAll(getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types"))).size();
        Instant start = Instant.now();
        for (int i = 0; i < 30; i++) {
            given().get(domoGroup.toString()).then().statusCode(200);
            given().get(readiness.toString()).then().statusCode(200);
        }
        long elapsed = Duration.between(start, Instant.now()).toMillis();
        int calls = domo.findAll(getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types"))).size() - before;
        assertThat(calls).as("%d health requests in %d ms", 60, elapsed).isLessThanOrEqualTo((int) (elapsed / INTERVAL_MILLIS) + 1);
    }

    private void awaitState(String state, int status) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get(domoGroup.toString()).then()
                .statusCode(status)
                .body("checks[0].name", equalTo("domo-token"))
                .body("checks[0].data.mode", equalTo("domo"))
                .body("checks[0].data.state", equalTo(state)));
    }
}
