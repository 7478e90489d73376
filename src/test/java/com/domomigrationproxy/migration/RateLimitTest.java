package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Per-caller limit on migrate and reverse: 429 with Retry-After, other callers unaffected. */
@QuarkusTest
@TestProfile(RateLimitTest.Strict.class)
class RateLimitTest {

    public static class Strict implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxy.rate-limit.operations-per-minute", "3");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Test
    void fourthOperationInAMinuteIs429() {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        for (int i = 0; i < 3; i++) {
            Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(200);
        }
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(429)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:rate-limited"))
                .header("Retry-After", notNullValue());
        domo.verify(3, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));

        given().auth().oauth2(Tokens.jwt("another-caller", "operator"))
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(200);
    }
}
