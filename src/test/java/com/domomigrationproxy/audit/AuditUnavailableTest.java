package com.domomigrationproxy.audit;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;

/** No audit record, no Domo call: with the database gone, migrations and reversals are 503 and Domo sees nothing. */
@QuarkusTest
class AuditUnavailableTest {

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void takeTheDatabaseAway() {
        domo.resetAll();
        domo.stubFor(post(com.github.tomakehurst.wiremock.client.WireMock.urlMatching(DOMO_PREFIX + "/.*"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T\"}")));
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS false",
                PostgresAdmin.DROP_SESSIONS);
    }

    @AfterEach
    void bringItBack() {
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS true");
    }

    @Test
    void migrationIsRefusedAndDomoIsNotCalled() {
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"))
                .body("operationId", nullValue());
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void reversalIsRefusedAndDomoIsNotCalled() {
        Api.asOperator().when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"));
        domo.verify(0, anyRequestedFor(anyUrl()));

        // Once the database is back, the service recovers by itself.
        bringItBack();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> Api.asOperator()
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(200).body("state", equalTo("COMPLETE")));
    }
}
