package com.domomigrationproxy.ledger;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.PostgresAdmin;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** A database that goes away mid-operation, or restarts, costs neither the caller's answer nor the outcome. */
@QuarkusTest
class DatabaseOutageTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @AfterEach
    void databaseBack() {
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS true");
    }

    @Test
    void domosAnswerReachesTheCallerAndTheOutcomeIsWrittenOnceTheDatabaseIsBack() throws InterruptedException {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        String domoPath = DOMO_PREFIX + "/" + datasource + "/reverse";
        domo.stubFor(post(domoPath).willReturn(okJson("{\"state\":\"COMPLETE\",\"toe\":\"T-OUTAGE\"}")
                .withTransformers(HeldAnswers.NAME)));
        // Domo's answer is held until the database is gone (at most 2.5 s: the tests' migration
        // timeout is 3 s), however long cutting it takes.
        HeldAnswers.hold(Duration.ofMillis(2_500));
        CompletableFuture<Response> answer;
        try {
            answer = CompletableFuture.supplyAsync(() -> Api.asOperator()
                    .header("Idempotency-Key", "outage-" + datasource)
                    .post("/api/v1/datasources/" + datasource + "/reversals"));
            HeldAnswers.awaitHeld(Duration.ofSeconds(20));
            PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS false",
                    PostgresAdmin.DROP_SESSIONS);
        } finally {
            HeldAnswers.release();
        }

        Response response = answer.join();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.jsonPath().getString("state")).isEqualTo("COMPLETE");
        assertThat(response.jsonPath().getString("toe")).isEqualTo("T-OUTAGE");
        assertThat(response.jsonPath().getString("operationId")).isNotBlank();

        databaseBack();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> assertThat(
                OperationRows.forDatasource(dataSource, datasource)).singleElement().satisfies(row -> assertThat(row)
                        .containsEntry("state", "COMPLETE").containsEntry("toe", "T-OUTAGE")));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200)
                .body("valid", org.hamcrest.Matchers.equalTo(true));
    }

    @Test
    void theFirstRequestsAfterADatabaseRestartSucceed() {
        domo.resetAll();
        domo.stubFor(post(com.github.tomakehurst.wiremock.client.WireMock.urlMatching(DOMO_PREFIX + "/.*/reverse"))
                .willReturn(okJson("{\"state\":\"COMPLETE\"}")));
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(200);
        // Every pooled connection is now dead, as after a restart.
        PostgresAdmin.run(PostgresAdmin.DROP_SESSIONS);
        await().pollDelay(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        for (int i = 0; i < 3; i++) {
            Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(200);
        }
        Api.asAuditor().get("/api/v1/audit/operations").then().statusCode(200);
    }
}
