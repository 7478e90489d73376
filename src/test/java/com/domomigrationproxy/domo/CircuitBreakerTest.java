package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.ShortFuses;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/** The breaker opens after repeated Domo failures, answers 503 without calling Domo, and closes again. */
@QuarkusTest
@Tag("timing")
@TestProfile(ShortFuses.class)
class CircuitBreakerTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    CircuitBreakerMaintenance breakers;

    @Inject
    DomoTokenMonitor tokenMonitor;

    @Inject
    DataSource dataSource;

    /** Each test starts from a closed breaker with an empty window, whatever ran before. */
    @BeforeEach
    void closed() {
        breakers.resetAll();
    }

    /**
     * The breaker stays open 5 s in tests: a machine so slow that the checks of its open state come
     * later proves nothing about it (flakiness review).
     */
    private static void stillOpen(long openedNanos) {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.nanoTime() - openedNanos < 4_500_000_000L,
                "the checks of the open breaker came after it may have half-opened");
    }

    @Test
    void opensAndCloses() throws InterruptedException {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(500)));
        for (int i = 0; i < 3; i++) {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(502);
        }
        long opened = System.nanoTime();
        int first = Integer.parseInt(Api.asReader().get("/api/v1/integration-types").then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-circuit-open"))
                .extract().header("Retry-After"));
        domo.verify(3, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));
        // Retry-After is the time the breaker has left open (5 s here), not its whole delay each time.
        assertThat(first).isBetween(1, 5);
        Thread.sleep(2_100);
        stillOpen(opened);
        assertThat(Integer.parseInt(Api.asReader().get("/api/v1/integration-types").then().statusCode(503)
                .extract().header("Retry-After"))).isPositive().isLessThan(first);

        // The token check meets the open breaker too: it reports the problem a caller gets, not an internal one.
        tokenMonitor.check();
        assertThat(tokenMonitor.status().problemType())
                .isEqualTo("urn:problem-type:domo-migration-proxy:domo-circuit-open");
        assertThat(tokenMonitor.status().state()).isEqualTo(DomoTokenMonitor.State.UNREACHABLE);

        // A migration while open is refused before anything is recorded or sent.
        stillOpen(opened);
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(503)
                .body("operationId", nullValue());
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
        // The first Domo call of a fresh JVM may miss the tests' 2 s deadline (504, not the 502 counted on).
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[\"t\"]")));
        Api.asReader().get("/api/v1/integration-types");
        breakers.resetAll(); // whatever that call counted
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

    /** A plan does not fail its items while the breaker is open: it waits, probes Domo, and carries on. */
    @Test
    void aPlanWaitsWhileItIsOpenAndFailsNoItem() {
        domo.resetAll();
        // The first Domo call of a fresh JVM may miss the tests' 2 s deadline; the preflight must not be it.
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[\"t\"]")));
        Api.asReader().get("/api/v1/integration-types");
        String account = "cb-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> datasources = List.of(account + "-1", account + "-2", account + "-3");
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(datasources.stream()
                        .map(id -> "{\"id\":\"" + id + "\",\"migrated\":false}")
                        .collect(Collectors.joining(",", "[", "]")))));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/"
                + account)).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\"}")));
        JsonPath plan = Api.asOperator().contentType("application/json")
                .body("{\"name\":\"breaker\",\"items\":" + datasources.stream().map(id -> "{\"datasourceId\":\"" + id
                        + "\",\"accountId\":\"" + account + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                        .collect(Collectors.joining(",", "[", "]")) + "}")
                .post("/api/v1/plans").then().statusCode(201).body("counts.READY", equalTo(3)).extract().jsonPath();
        String planId = plan.getString("planId");
        given().header("Authorization", "Bearer "
                + Tokens.jwt("breaker-approver", "approver"))
                .contentType("application/json").body("{\"decision\":\"APPROVE\",\"contentHash\":\""
                        + plan.getString("contentHash") + "\"}")
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200);

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(500)));
        for (int i = 0; i < 3; i++) {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(502);
        }
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(5)).until(() -> Api.asReader().get("/api/v1/plans/" + planId)
                        .then().extract().jsonPath().getInt("counts.FAILED") == 0
                        && domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX + "/.*"))).isEmpty());

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[\"t\"]")));
        await().atMost(Duration.ofSeconds(30)).until(() -> "FINISHED".equals(
                Api.asReader().get("/api/v1/plans/" + planId).then().extract().path("state")));
        Api.asReader().get("/api/v1/plans/" + planId).then().body("counts.COMPLETE", equalTo(3))
                .body("counts.FAILED", equalTo(0));
        domo.verify(3, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
    }

    /**
     * The breaker stays open after its delay until some call tries Domo again: a migration after
     * the delay is that trial, so single migrations recover without waiting for a read. While the
     * trial runs, another migration is refused before anything is recorded: the breaker would
     * refuse it anyway, and it was recorded as a FAILED operation that never left the service.
     */
    @Test
    void aMigrationAfterTheDelayIsTheTrialThatClosesIt() throws Exception {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(500)));
        for (int i = 0; i < 3; i++) {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(502);
        }
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withStatus(200)
                .withTransformers(HeldAnswers.NAME).withHeader("Content-Type", "application/json").withBody("{\"toe\":"
                        + "\"T-9\",\"datasourceId\":\"" + datasource + "\",\"direction\":\"V2_TO_V1\",\"state\":\"COMPLETE\"}")));
        // Its own principal: the profile allows 3 operations per caller and minute.
        String operator = "Bearer " + Tokens.jwt("trial-" + UUID.randomUUID(), "operator");
        given().header("Authorization", operator).post("/api/v1/datasources/" + datasource + "/reversals")
                .then().statusCode(503);
        domo.verify(0, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));

        // Nothing calls Domo in between: no trial has run when the migration arrives.
        await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> true);
        // Domo holds the trial's answer while another migration arrives.
        String other = Api.uniqueDatasourceId();
        String otherOperator = "Bearer " + Tokens.jwt("trial-" + UUID.randomUUID(), "operator");
        HeldAnswers.whileHeld(() -> given().header("Authorization", operator)
                .post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200)
                .body("state", equalTo("COMPLETE")), () -> {
                    assertThat(breakers.currentState("domo")).isEqualTo(CircuitBreakerState.HALF_OPEN);
                    assertThat(given().header("Authorization", otherOperator).post("/api/v1/datasources/" + other
                            + "/reversals").then().statusCode(503)
                            .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-circuit-open"))
                            .body("operationId", nullValue()).extract().header("Retry-After")).isEqualTo("1");
                    assertThat(OperationRows.forDatasource(dataSource, other)).as("nothing recorded").isEmpty();
                }).get(10, TimeUnit.SECONDS);
        domo.verify(1, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
        domo.verify(3, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));
        assertThat(breakers.currentState("domo")).isEqualTo(CircuitBreakerState.CLOSED);
    }

    /**
     * An answer whose connection breaks after its status line is a connection failure whatever that
     * status (here a 401): it counts for the breaker as it did before the status was recorded, and it
     * turned nobody away (UNKNOWN, with its status on record).
     */
    @Test
    void answersCutOffAfterTheirStatusLineOpenIt() {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withHeader("Content-Length", "1000").withBody("{")));
        String first = Api.uniqueDatasourceId();
        given().auth().oauth2(Tokens.jwt("cut-off-" + UUID.randomUUID(), "operator")).post("/api/v1/datasources/" + first + "/reversals").then().statusCode(502)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-unavailable"));
        assertThat(com.domomigrationproxy.support.OperationRows.forDatasource(dataSource, first)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "UNKNOWN").containsEntry("upstream_status", 401));
        for (int i = 0; i < 2; i++) {
            given().auth().oauth2(Tokens.jwt("cut-off-" + UUID.randomUUID(), "operator")).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(502);
        }
        given().auth().oauth2(Tokens.jwt("cut-off-" + UUID.randomUUID(), "operator")).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-circuit-open"));
        domo.verify(3, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*/reverse")));
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
