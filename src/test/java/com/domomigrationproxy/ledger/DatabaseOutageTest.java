package com.domomigrationproxy.ledger;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

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
        // Domo's answer is held until the database is gone, however long cutting it takes.
        CompletableFuture<Response> answer = HeldAnswers.whileHeld(() -> Api.asOperator()
                .header("Idempotency-Key", "outage-" + datasource)
                .post("/api/v1/datasources/" + datasource + "/reversals"),
                () -> PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS false",
                        PostgresAdmin.DROP_SESSIONS));

        Response response = answer.join();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.jsonPath().getString("state")).isEqualTo("COMPLETE");
        assertThat(response.jsonPath().getString("toe")).isEqualTo("T-OUTAGE");
        assertThat(response.jsonPath().getString("operationId")).isNotBlank();

        databaseBack();
        // Read as an auditor with SQL access would, over a connection of its own: the service's pool
        // may still hold a connection the outage ended, which it hands out unchecked within 1 s of
        // its last use (foreground-validation-interval).
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> assertThat(
                OperationRows.forDatasource(PostgresAdmin.ownConnections(), datasource)).singleElement()
                        .satisfies(row -> assertThat(row).containsEntry("state", "COMPLETE")
                                .containsEntry("toe", "T-OUTAGE")));
        // The same 1 s may cost a request its answer (503) once; the chain is whole all the same.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> Api.asAuditor()
                .get("/api/v1/audit/integrity").then().statusCode(200).body("valid", org.hamcrest.Matchers.equalTo(true)));
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
