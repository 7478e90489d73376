package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Outcomes nobody knows are resolved by asking Domo's candidates, recorded next to what happened
 * (append-only, chained), and the datasource stays locked until then.
 */
@QuarkusTest
class ReconciliationTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    OperationReconciler reconciler;

    @Inject
    OperationStore audit;

    @Inject
    DataSource dataSource;

    @Test
    void aTimedOutMigrationLocksItsDatasourceUntilReconciled() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/5").willReturn(aResponse().withFixedDelay(5000)
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        String operationId = Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"5\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(504)
                .extract().path("operationId");

        // Locked, and the answer says why.
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(409)
                .body("runningOperationId", equalTo(operationId))
                .body("detail", org.hamcrest.Matchers.containsString("outcome is unknown"));

        domo.stubFor(get(DOMO_PREFIX + "/candidates/5").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + datasource
                        + "\",\"name\":\"x\",\"migrated\":true,\"migrationDate\":\"" + Instant.now() + "\"}]")));
        assertThat(reconciler.reconcileNow()).isGreaterThanOrEqualTo(1);

        Map<String, Object> row = OperationRows.forDatasource(dataSource, datasource).get(0);
        assertThat(row).containsEntry("state", "UNKNOWN").containsEntry("reconciled_state", "COMPLETE");
        assertThat((String) row.get("reconciliation_note")).contains("migrated=true");
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("state", equalTo("UNKNOWN"))
                .body("reconciliation.state", equalTo("COMPLETE"))
                .body("chain.reconciliation.hash", org.hamcrest.Matchers.matchesPattern("[0-9a-f]{64}"));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));

        // Unlocked.
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
    }

    @Test
    void anOperationAbandonedByADeadProcessIsReconciled() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        // As if the process had died right after recording the intent: PENDING, no outcome ever.
        Operation pending = audit.recordIntent(OperationIntent.migration(datasource, "6", "c", "s", "t",
                new Requester("crashed-svc", "api-key", "req-crash", "127.0.0.1", Scopes.UNRESTRICTED)), none -> {
                });
        domo.stubFor(get(DOMO_PREFIX + "/candidates/6").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("[{\"id\":\"" + datasource + "\",\"name\":\"x\",\"migrated\":false,\"migrationDate\":null}]")));

        // Not before the migration deadline (3 s in tests) has passed: it might still be running.
        reconciler.reconcileNow();
        assertThat(OperationRows.forDatasource(dataSource, datasource).get(0).get("reconciled_state")).isNull();

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250)).until(() -> {
            reconciler.reconcileNow();
            return OperationRows.forDatasource(dataSource, datasource).get(0).get("reconciled_state") != null;
        });
        Map<String, Object> row = OperationRows.forDatasource(dataSource, datasource).get(0);
        assertThat(row.get("operation_id")).hasToString(pending.operationId().toString());
        assertThat(row).containsEntry("state", "PENDING").containsEntry("reconciled_state", "ABORTED");
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void reconciliationIsRecordedOnlyOnce() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        Operation pending = audit.recordIntent(OperationIntent.reversal(datasource,
                new Requester("x", "jwt", "r", null, Scopes.UNRESTRICTED)), none -> {
                });
        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "timeout", null, 1L));
        assertThat(audit.recordReconciliation(pending.operationId(), OperationState.COMPLETE, "first", null)).isPresent();
        assertThat(audit.recordReconciliation(pending.operationId(), OperationState.ABORTED, "second", null)).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OperationRows.execute(dataSource,
                "UPDATE operation SET reconciled_state = 'ABORTED' WHERE datasource_id = ?", datasource))
                .hasMessageContaining("append-only");
    }
}
