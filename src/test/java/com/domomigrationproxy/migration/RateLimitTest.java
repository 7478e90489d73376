package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.ShortFuses;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** Per-caller limit on migrate and reverse: 429 with Retry-After, other callers unaffected. */
@QuarkusTest
@TestProfile(ShortFuses.class)
class RateLimitTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @BeforeEach
    void domoCompletesEverything() {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
    }

    @Test
    void fourthOperationInAMinuteIs429() {
        String caller = Tokens.jwt("limited-" + UUID.randomUUID(), "operator");
        for (int i = 0; i < ShortFuses.OPERATIONS_PER_MINUTE; i++) {
            given().auth().oauth2(caller).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                    .then().statusCode(200);
        }
        given().auth().oauth2(caller).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(429)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:rate-limited"))
                .header("Retry-After", notNullValue());
        domo.verify(ShortFuses.OPERATIONS_PER_MINUTE, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));

        given().auth().oauth2(Tokens.jwt("another-caller", "operator"))
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(200);
    }

    /** A repeat with an Idempotency-Key sends nothing to Domo: it gets its stored answer past the limit. */
    @Test
    void anIdempotentRepeatGetsItsStoredAnswerPastTheLimit() {
        String caller = Tokens.jwt("limited-" + UUID.randomUUID(), "operator");
        String first = Api.uniqueDatasourceId();
        String operationId = given().auth().oauth2(caller).header("Idempotency-Key", "k-" + first)
                .post("/api/v1/datasources/" + first + "/reversals").then().statusCode(200).extract().path("operationId");
        for (int i = 1; i < ShortFuses.OPERATIONS_PER_MINUTE; i++) {
            given().auth().oauth2(caller).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                    .then().statusCode(200);
        }
        given().auth().oauth2(caller).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(429);

        given().auth().oauth2(caller).header("Idempotency-Key", "k-" + first)
                .post("/api/v1/datasources/" + first + "/reversals").then().statusCode(200)
                .header("Idempotent-Replayed", equalTo("true")).body("operationId", equalTo(operationId));
        // A new key is a new operation: limited, and the key stays free for a later retry.
        given().auth().oauth2(caller).header("Idempotency-Key", "k-new-" + first)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(429);
        assertThat(OperationRows.query(dataSource, "SELECT * FROM idempotency_key WHERE idempotency_key = ?",
                "k-new-" + first)).isEmpty();
        domo.verify(ShortFuses.OPERATIONS_PER_MINUTE, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
    }

    /**
     * A Domo that holds its answers keeps the API's migrations and reversals in flight: past
     * PROXY_RATE_LIMIT_CONCURRENT_OPERATIONS (1 here) the next is 503 busy before anything is
     * recorded, its Idempotency-Key unclaimed and none of its caller's allowance taken, so that the
     * worker threads stay for the reads, the audit API and the console.
     */
    @Test
    void pastTheOperationsInFlightTheNextIsBusyAndNothingIsRecorded() throws Exception {
        String held = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + held + "/reverse").willReturn(aResponse().withStatus(200)
                .withTransformers(HeldAnswers.NAME).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\"}")));
        String holder = Tokens.jwt("holder-" + UUID.randomUUID(), "operator");
        String caller = Tokens.jwt("busy-" + UUID.randomUUID(), "operator");
        String other = Api.uniqueDatasourceId();
        HeldAnswers.whileHeld(() -> given().auth().oauth2(holder).post("/api/v1/datasources/" + held + "/reversals")
                .then().statusCode(200), () -> {
                    given().auth().oauth2(caller).header("Idempotency-Key", "k-" + other)
                            .post("/api/v1/datasources/" + other + "/reversals").then().statusCode(503)
                            .body("type", equalTo("urn:problem-type:domo-migration-proxy:busy"))
                            .header("Retry-After", "5");
                    assertThat(OperationRows.forDatasource(dataSource, other)).as("nothing recorded").isEmpty();
                }).get(10, TimeUnit.SECONDS);
        given().auth().oauth2(caller).header("Idempotency-Key", "k-" + other)
                .post("/api/v1/datasources/" + other + "/reversals").then().statusCode(200)
                .header("Idempotent-Replayed", nullValue());
        for (int i = 1; i < ShortFuses.OPERATIONS_PER_MINUTE; i++) {
            given().auth().oauth2(caller).post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                    .then().statusCode(200);
        }
    }
}
