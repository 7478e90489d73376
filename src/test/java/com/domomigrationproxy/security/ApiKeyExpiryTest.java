package com.domomigrationproxy.security;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PrometheusScrape;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Keys that expire: refused with a type of their own after, announced in health and a gauge before. */
@QuarkusTest
class ApiKeyExpiryTest {

    private static final String EXPIRED_KEY = "test-expired-key-" + UUID.randomUUID();
    private static final String SOON_KEY = "test-soon-key-" + UUID.randomUUID();
    private static final String LATER_KEY = "test-later-key-" + UUID.randomUUID();
    private static final Instant EXPIRED_AT = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    private static final Instant SOON_AT = Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/health", management = true)
    URL health;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @BeforeEach
    void keys() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[]")));
        ApiKeys.writeWithDefaults(List.of(
                new ApiKeys.Key("later-svc", LATER_KEY, List.of("reader"), null, Instant.now().plus(90, ChronoUnit.DAYS)),
                new ApiKeys.Key("soon-svc", SOON_KEY, List.of("reader"), null, SOON_AT),
                new ApiKeys.Key("expired-svc", EXPIRED_KEY, List.of("reader", "operator"), null, EXPIRED_AT)));
    }

    @AfterEach
    void restoreKeys() {
        ApiKeys.write(ApiKeys.DEFAULT);
    }

    @Test
    void anExpiredKeyIs401WithATypeOfItsOwnAndALogLineNamingIt() throws Exception {
        given().header("X-API-Key", EXPIRED_KEY).get("/api/v1/integration-types").then()
                .statusCode(401)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:credentials-expired"))
                .header("WWW-Authenticate", org.hamcrest.Matchers.notNullValue());
        given().header("X-API-Key", EXPIRED_KEY).contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/ds-expired/migrations").then().statusCode(401)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:credentials-expired"));
        domo.verify(0, anyRequestedFor(anyUrl()));

        String log = Files.readString(Path.of("target", "quarkus-test.log"));
        assertThat(log).contains("API key expired-svc expired at " + EXPIRED_AT).doesNotContain(EXPIRED_KEY)
                .doesNotContain(ApiKeys.sha256(EXPIRED_KEY));
        // A key that has not expired works as before.
        given().header("X-API-Key", SOON_KEY).get("/api/v1/integration-types").then().statusCode(200);
        // An unknown key stays a plain 401: an expired key's 401 says nothing about other secrets.
        given().header("X-API-Key", "no-such-key").get("/api/v1/integration-types").then().statusCode(401)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:unauthenticated"));
    }

    @Test
    void keysAboutToExpireAreListedInHealthWhichStaysUp() {
        JsonPath all = given().get(health.toString()).then().statusCode(200).body("status", equalTo("UP"))
                .extract().jsonPath();
        Map<String, Object> data = all.getMap("checks.find { it.name == 'api-key-expiry' }.data");
        assertThat(all.getString("checks.find { it.name == 'api-key-expiry' }.status")).isEqualTo("UP");
        assertThat(data).containsEntry("expiring.soon-svc", SOON_AT.toString())
                .containsEntry("expired.expired-svc", EXPIRED_AT.toString())
                .containsEntry("warningPeriod", Duration.ofDays(14).toString())
                .doesNotContainKey("expiring.later-svc")
                .doesNotContainKey("expiring.operator-svc");
        given().get(readiness.toString()).then().statusCode(200)
                .body("checks.name", hasItems("api-key-expiry"));
    }

    @Test
    void eachExpiringKeyHasAGaugeOfDaysLeftUntilItLeavesTheFile() {
        PrometheusScrape scrape = PrometheusScrape.of(metrics);
        assertThat(scrape.value("proxy_api_key_days_to_expiry", Map.of("key", "soon-svc"))).isCloseTo(3.0, within(0.01));
        assertThat(scrape.value("proxy_api_key_days_to_expiry", Map.of("key", "expired-svc")))
                .isCloseTo(-1.0 / 24, within(0.01));
        assertThat(scrape.has("proxy_api_key_days_to_expiry", Map.of("key", "operator-svc"))).isFalse();

        ApiKeys.writeWithDefaults(List.of(new ApiKeys.Key("later-svc", LATER_KEY, List.of("reader"), null, null)));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusScrape.of(metrics)
                .has("proxy_api_key_days_to_expiry", Map.of("key", "soon-svc"))).isFalse());
    }
}
