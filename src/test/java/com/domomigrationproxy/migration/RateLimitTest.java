package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
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

    @Test
    void fourthOperationInAMinuteIs429() {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        String caller = Tokens.jwt("limited-" + java.util.UUID.randomUUID(), "operator");
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
}
