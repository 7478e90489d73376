package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** 50 parallel migrate/reverse calls on one datasource: exactly one reaches Domo, the rest get 409. */
@QuarkusTest
class OneOperationPerDatasourceTest {

    private static final int CALLS = 50;

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    OperationStore audit;

    /**
     * A data source's UUID in the other letter case is the same data source (Domo reads its letters
     * either way): its unresolved operation holds it, and the second call never reaches Domo.
     */
    @Test
    void theSameUuidInTheOtherLetterCaseIsHeldToo() {
        domo.resetAll();
        // A gateway's 504 in front of Domo: UNKNOWN, the data source held until it is reconciled.
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(504)));
        String upper = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
        String lower = upper.toLowerCase(Locale.ROOT);
        String unknown = Api.asOperator().post("/api/v1/datasources/" + upper + "/reversals").then().statusCode(502)
                .extract().path("operationId");
        try {
            Api.asOperator().post("/api/v1/datasources/" + lower + "/reversals").then().statusCode(409)
                    .body("type", endsWith(":operation-in-progress")).body("runningOperationId", equalTo(unknown));
            Api.asOperator().contentType("application/json")
                    .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                    .post("/api/v1/datasources/" + lower + "/migrations").then().statusCode(409)
                    .body("runningOperationId", equalTo(unknown));
            domo.verify(1, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
            domo.verify(1, postRequestedFor(urlMatching(DOMO_PREFIX + "/" + upper + "/reverse")));
            for (String spelling : new String[] { upper, lower }) {
                Api.asAuditor().queryParam("datasourceId", spelling).get("/api/v1/audit/operations").then()
                        .statusCode(200).body("items.operationId", contains(unknown))
                        .body("items.datasourceId", contains(upper));
            }
        } finally {
            audit.recordReconciliation(UUID.fromString(unknown), OperationState.ABORTED, "test: Domo did not act", null);
        }
    }

    @Test
    void fiftyParallelCallsOneReachesDomo() throws Exception {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withTransformers(HeldAnswers.NAME)
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T\"}")));
        // Domo answers the one call that reaches it only once the other 49 were refused, so that none
        // of them can come after it.
        HeldAnswers.hold(HeldAnswers.UNDER_MIGRATION_TIMEOUT);
        String datasource = Api.uniqueDatasourceId();
        ExecutorService pool = Executors.newFixedThreadPool(CALLS);
        CompletionService<Response> answers = new ExecutorCompletionService<>(pool);
        CountDownLatch ready = new CountDownLatch(CALLS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            for (int i = 0; i < CALLS; i++) {
                boolean migrate = i % 2 == 0;
                answers.submit(() -> {
                    // Each thread's client is warmed up first, so that the calls leave together.
                    try {
                        Api.asOperator().get("/q/openapi").then().statusCode(200);
                    } finally {
                        ready.countDown();
                    }
                    start.await();
                    return migrate
                            ? Api.asOperator().contentType("application/json")
                                    .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                                    .post("/api/v1/datasources/" + datasource + "/migrations")
                            : Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals");
                });
            }
            assertThat(ready.await(60, TimeUnit.SECONDS)).isTrue();
            start.countDown();
            int ok = 0;
            int conflicts = 0;
            String winner = null;
            for (int i = 0; i < CALLS; i++) {
                Response response = answers.take().get();
                if (response.statusCode() == 200) {
                    ok++;
                    winner = response.jsonPath().getString("operationId");
                } else {
                    assertThat(response.statusCode()).isEqualTo(409);
                    assertThat(response.jsonPath().getString("type")).endsWith(":operation-in-progress");
                    if (++conflicts == CALLS - 1) {
                        HeldAnswers.release();
                    }
                }
            }
            assertThat(ok).isEqualTo(1);
            assertThat(conflicts).isEqualTo(CALLS - 1);
            domo.verify(1, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
            // Audited where they should be: the one that ran; the refused ones never started an operation.
            List<Map<String, Object>> rows = OperationRows.forDatasource(dataSource, datasource);
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).get("operation_id")).hasToString(winner);
        } finally {
            HeldAnswers.release();
            pool.shutdownNow();
        }
    }
}
