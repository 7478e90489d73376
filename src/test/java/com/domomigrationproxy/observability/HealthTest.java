package com.domomigrationproxy.observability;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.net.URL;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.PostgresAdmin;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Startup, liveness and readiness on the management port. Readiness follows the database's
 * ability to take the audit writes, and only that: the Domo side reports without failing.
 */
@QuarkusTest
class HealthTest {

    private static final String ALTER = "ALTER DATABASE " + PostgresAdmin.DATABASE;

    /** The contract's rule for a request id, written out here so that the test checks the code against it. */
    private static final String REQUEST_ID_RULE = "[A-Za-z0-9._:-]{1,128}";

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @TestHTTPResource(value = "/health/live", management = true)
    URL liveness;

    @TestHTTPResource(value = "/health/started", management = true)
    URL started;

    @TestHTTPResource(value = "/health/group/domo", management = true)
    URL domoGroup;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @AfterEach
    void mendTheDatabase() {
        PostgresAdmin.run(ALTER + " ALLOW_CONNECTIONS true", ALTER + " RESET default_transaction_read_only",
                PostgresAdmin.DROP_SESSIONS);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> given().get(readiness.toString()).then().statusCode(200));
    }

    @Test
    void readyLiveAndStartedWithAWritableDatabase() {
        String ready = given().get(readiness.toString()).then().statusCode(200)
                .body("status", equalTo("UP"))
                // The six checks operations.md lists, and no other.
                .body("checks.name", containsInAnyOrder("Database connections health check", "Graceful Shutdown",
                        "database-writable", "domo-upstream", "api-key-expiry", "audit-checkpoints"))
                .body("checks.find { it.name == 'database-writable' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'database-writable' }.data.readOnly", equalTo(false))
                .body("checks.find { it.name == 'database-writable' }.data.inRecovery", equalTo(false))
                .body("checks.find { it.name == 'domo-upstream' }.data.mode", equalTo("domo"))
                // The periodic check does not run in this profile (see application.properties).
                .body("checks.find { it.name == 'domo-upstream' }.data.tokenState", equalTo("unchecked"))
                .body("checks.find { it.name == 'domo-upstream' }.data.tokenPresent", equalTo(true))
                .extract().asString();
        given().get(liveness.toString()).then().statusCode(200).body("status", equalTo("UP"));
        given().get(started.toString()).then().statusCode(200).body("status", equalTo("UP"));
        String domo = given().get(domoGroup.toString()).then().statusCode(200)
                .body("checks.find { it.name == 'domo-token' }.data.state", equalTo("unchecked"))
                .extract().asString();
        assertThat(ready + domo).doesNotContain(CANARY_TOKEN);
    }

    @Test
    void theManagementPortsAnswersCarryARequestIdAsEveryAnswerDoes() {
        given().header("X-Request-Id", "probe-7:a.b").get(liveness.toString()).then().statusCode(200)
                .header("X-Request-Id", equalTo("probe-7:a.b"));
        String generated = given().get(readiness.toString()).then().statusCode(200).extract().header("X-Request-Id");
        String instead = given().header("X-Request-Id", "not valid <x>").get(started.toString()).then()
                .statusCode(200).extract().header("X-Request-Id");
        String scrape = given().get(metrics.toString()).then().statusCode(200).extract().header("X-Request-Id");
        assertThat(List.of(generated, instead, scrape)).allSatisfy(id -> assertThat(id).matches(REQUEST_ID_RULE))
                .doesNotHaveDuplicates().doesNotContain("not valid <x>");
    }

    @Test
    void aReadOnlyDatabaseMakesThePodUnreadyButNotDead() {
        // What a standby promoted the wrong way round, or a read-only default, looks like to the service.
        PostgresAdmin.run(ALTER + " SET default_transaction_read_only = on", PostgresAdmin.DROP_SESSIONS);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(readiness.toString()).then()
                .statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'database-writable' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'database-writable' }.data.readOnly", equalTo(true))
                .body("checks.find { it.name == 'domo-upstream' }.status", equalTo("UP")));
        given().get(liveness.toString()).then().statusCode(200);
    }

    @Test
    void anUnreachableDatabaseMakesThePodUnready() {
        PostgresAdmin.run(ALTER + " ALLOW_CONNECTIONS false", PostgresAdmin.DROP_SESSIONS);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(readiness.toString()).then()
                .statusCode(503)
                .body("checks.find { it.name == 'database-writable' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'database-writable' }.data.error", notNullValue()));
        given().get(liveness.toString()).then().statusCode(200);
    }
}
