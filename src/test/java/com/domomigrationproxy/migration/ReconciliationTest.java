package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PostgresAdmin;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * Outcomes nobody knows are resolved by asking Domo's candidates, recorded next to what happened
 * (append-only, chained), and the datasource stays locked until then.
 */
@QuarkusTest
@Tag("timing")
class ReconciliationTest {

    private static final Requester QUEUE = new Requester("queue-svc", "api-key", "req-queue", null, Scopes.UNRESTRICTED);
    private static final String MIGRATION_TO_8 = "{\"accountId\":\"8\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";

    @InjectDomo
    WireMockServer domo;

    @Inject
    OperationReconciler reconciler;

    @Inject
    OperationStore audit;

    @Inject
    DataSource dataSource;

    @Inject
    OperationResolutions resolutions;

    @Inject
    IdempotencyStore idempotency;

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

    /**
     * An intent that waited for the chain head's lock (here held by the test, as by a replica lost
     * in the middle of a transaction) is recorded long after its request, and Domo is called only
     * then: reconciliation counts from the record, so it does not take the call under way for one
     * abandoned (ABORTED, unlocking the datasource for a second operation at Domo) while it runs.
     */
    @Test
    void anIntentRecordedLateIsNotTakenForAbandonedWhileItsCallRuns() throws Exception {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/8").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-LATE\"}")
                .withTransformers(HeldAnswers.NAME)));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/8").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("[{\"id\":\"" + datasource + "\",\"name\":\"x\",\"migrated\":false,\"migrationDate\":null}]")));
        HeldAnswers.hold(HeldAnswers.UNDER_MIGRATION_TIMEOUT);
        CompletableFuture<Response> migration;
        try {
            try (Connection lock = PostgresAdmin.ownConnections().getConnection(); Statement sql = lock.createStatement()) {
                lock.setAutoCommit(false);
                sql.execute("SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE");
                migration = OwnThreads.supply(() -> Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                        .post("/api/v1/datasources/" + datasource + "/migrations"));
                // Longer than the request's deadline twice over (3 s in tests) and the grace (0 s): counted
                // from the request, Domo could no longer be carrying the migration out.
                Thread.sleep(7_000);
                lock.rollback();
            }
            HeldAnswers.awaitHeld(Duration.ofSeconds(20));
            reconciler.reconcileNow();
            Map<String, Object> row = OperationRows.forDatasource(dataSource, datasource).get(0);
            assertThat(row).containsEntry("state", "PENDING").containsEntry("reconciled_state", null);
            Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(409);
            assertThat(migration).as("Domo's answer was still held").isNotDone();
        } finally {
            HeldAnswers.release();
        }
        migration.join().then().statusCode(200).body("state", equalTo("COMPLETE")).body("toe", equalTo("T-LATE"));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("state", "COMPLETE").containsEntry("reconciled_state", null));
    }

    /**
     * Once the intent is written its time is taken, so the rest of its transaction (linking the
     * Idempotency-Key, or the plan item) may not wait long for a row lock: it would commit an intent
     * older than it looks, which a short grace takes for abandoned while Domo carries it out. It
     * gives up after 5 s instead, and Domo is not called.
     */
    @Test
    void anIntentsTransactionWaitsForALockOnlyBriefly() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String key = "lock-wait-" + UUID.randomUUID();
        IdempotencyStore.Owner owner = new IdempotencyStore.Owner("lock-svc", "api-key");
        IdempotencyStore.Claim.Run run = (IdempotencyStore.Claim.Run) idempotency.claim(owner, key, "fingerprint");
        try (Connection lock = PostgresAdmin.ownConnections().getConnection();
                PreparedStatement sql = lock.prepareStatement("SELECT 1 FROM idempotency_key WHERE idempotency_key = ? FOR UPDATE")) {
            lock.setAutoCommit(false);
            sql.setString(1, key);
            sql.execute();
            try {
                CompletableFuture<Operation> intent = OwnThreads.supply(() -> audit.recordIntent(
                        OperationIntent.reversal(datasource, QUEUE),
                        pending -> idempotency.attach(owner, key, run.claimedAt(), pending.operationId())));
                assertThat(intent).as("the intent's transaction still waits for the key's lock")
                        .failsWithin(Duration.ofSeconds(9)).withThrowableOfType(ExecutionException.class)
                        .havingCause().isInstanceOfSatisfying(ProblemException.class,
                                problem -> assertThat(problem.status()).isEqualTo(503));
            } finally {
                lock.rollback();
            }
        } finally {
            idempotency.release(owner, key, run.claimedAt());
        }
        assertThat(OperationRows.forDatasource(dataSource, datasource)).as("the intent rolled back").isEmpty();
    }

    /**
     * Domo's answer written after the operation was resolved (it sat in a replica's outcome backlog
     * while another reconciled the row) leaves the row as resolved and goes into the chain as a
     * LATE_OUTCOME event of its own, instead of only into the log.
     */
    @Test
    void anOutcomeArrivingAfterTheOperationWasResolvedIsKeptInTheChain() {
        String datasource = Api.uniqueDatasourceId();
        Operation pending = audit.recordIntent(OperationIntent.migration(datasource, "9", "c", "s", "t",
                new Requester("late-svc", "api-key", "req-late", null, Scopes.UNRESTRICTED)), none -> {
                });
        assertThat(audit.recordReconciliation(pending.operationId(), OperationState.ABORTED,
                "candidates showed it not migrated", null)).isPresent();
        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.COMPLETE, "T-LATE", null, 200, 7L));
        // Written again (the first write's acknowledgement lost, the backlog retries): still one event.
        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.COMPLETE, "T-LATE", null, 200, 7L));

        Map<String, Object> row = OperationRows.forDatasource(dataSource, datasource).get(0);
        assertThat(row).containsEntry("state", "PENDING").containsEntry("reconciled_state", "ABORTED");
        Api.asAuditor().queryParam("type", "LATE_OUTCOME").queryParam("subject", pending.operationId().toString())
                .get("/api/v1/audit/events").then().statusCode(200)
                .body("items", org.hamcrest.Matchers.hasSize(1))
                .body("items[0].payload", org.hamcrest.Matchers.allOf(
                        org.hamcrest.Matchers.containsString("\"state\":\"COMPLETE\""),
                        org.hamcrest.Matchers.containsString("\"toe\":\"T-LATE\""),
                        org.hamcrest.Matchers.containsString("\"event\":\"LATE_OUTCOME\""),
                        org.hamcrest.Matchers.containsString("\"resolvedAs\":\"ABORTED\"")));

        // An outcome written again because its first write's acknowledgement was lost is no late outcome.
        Operation written = audit.recordIntent(OperationIntent.reversal(Api.uniqueDatasourceId(),
                new Requester("late-svc", "api-key", "req-twice", null, Scopes.UNRESTRICTED)), none -> {
                });
        Outcome outcome = Outcome.withoutResult(OperationState.COMPLETE, "T-TWICE", null, 200, 7L);
        audit.recordOutcome(written, outcome);
        audit.recordOutcome(written, outcome);
        Api.asAuditor().queryParam("type", "LATE_OUTCOME").queryParam("subject", written.operationId().toString())
                .get("/api/v1/audit/events").then().statusCode(200).body("items", org.hamcrest.Matchers.hasSize(0));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    /**
     * A migration resolved ABORTED whose answer, written late, says COMPLETE may have migrated the
     * datasource: a reversal after it that Domo shows not migrated may have undone it, so it goes to a
     * person instead of being concluded "nothing to undo" from the trail before the late answer.
     */
    @Test
    void aLateAnswerThatContradictsAResolutionLeavesTheStateBeforeToAPerson() {
        domo.resetAll();
        String account = "acct-" + UUID.randomUUID();
        String datasource = Api.uniqueDatasourceId();
        Operation migrated = audit.recordIntent(OperationIntent.migration(datasource, account, "c", "s", "t", QUEUE),
                none -> {
                });
        audit.recordOutcome(migrated, Outcome.withoutResult(OperationState.COMPLETE, "T-1", null, 200, 7L));
        Operation reversed = audit.recordIntent(OperationIntent.reversal(datasource, QUEUE), none -> {
        });
        audit.recordOutcome(reversed, Outcome.withoutResult(OperationState.COMPLETE, "T-2", null, 200, 7L));
        Operation resolvedAborted = audit.recordIntent(OperationIntent.migration(datasource, account, "c", "s", "t",
                QUEUE), none -> {
                });
        assertThat(audit.recordReconciliation(resolvedAborted.operationId(), OperationState.ABORTED,
                "candidates showed it not migrated", null)).isPresent();
        audit.recordOutcome(resolvedAborted, Outcome.withoutResult(OperationState.COMPLETE, "T-3", null, 200, 7L));
        Operation reversal = unknown(OperationIntent.reversal(datasource, QUEUE));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + datasource
                        + "\",\"name\":\"x\",\"migrated\":false,\"migrationDate\":null}]")));
        Instant settled = reconciler.settlesAt(audit.find(reversal.operationId()).orElseThrow());
        await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().isAfter(settled));

        reconciler.reconcileNow();
        Operation now = audit.find(reversal.operationId()).orElseThrow();
        assertThat(now.reconciliation()).as("not concluded from the trail").isNull();
        assertThat(now.review()).isNotNull();
        assertThat(now.review().reason()).contains("in an unknown state before the request");
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

    /**
     * Migrated, then migrated again with no answer in time (Domo in fact refused: already migrated).
     * The migrationDate predates the second request, so reconciliation must not credit it.
     */
    @Test
    void aMigrationIsNotCreditedWithAnEarlierOne() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        Instant beforeTheFirstAnswer = Instant.now();
        String second = migratedThenAgainUnanswered(datasource);
        listedMigratedAt(datasource, beforeTheFirstAnswer);

        // Domo may still be at work right after the deadline (here it answers 2 s later): "did not
        // take effect" waits until the migration deadline (3 s in tests) has passed again (seen here
        // unless this machine took that long to get from the 504 to the pass).
        Instant waitEnded = Instant.parse(Api.asAuditor().get("/api/v1/audit/operations/" + second).then()
                .statusCode(200).extract().path("completedAt"));
        reconciler.reconcileNow();
        if (Instant.now().isBefore(waitEnded.plusSeconds(3))) {
            Api.asAuditor().get("/api/v1/audit/operations/" + second).then().statusCode(200)
                    .body("state", equalTo("UNKNOWN")).body("reconciliation", org.hamcrest.Matchers.nullValue());
            Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                    .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(409);
        }

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250)).until(() -> {
            reconciler.reconcileNow();
            return OperationRows.forDatasource(dataSource, datasource).stream()
                    .anyMatch(row -> row.get("reconciled_state") != null);
        });
        Api.asAuditor().get("/api/v1/audit/operations/" + second).then().statusCode(200)
                .body("state", equalTo("UNKNOWN"))
                .body("reconciliation.state", equalTo("ABORTED"))
                .body("reconciliation.note", org.hamcrest.Matchers.containsString("already migrated before the request"));
    }

    /**
     * An operation requested before another's migration and recorded after it (its intent waited for
     * the audit store) is not credited with that migration's date: "after the request" means after
     * its intent was recorded, when Domo was called, not after requestedAt.
     */
    @Test
    void aMigrationIsNotCreditedWithOneRecordedWhileItsIntentWaited() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/8").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        Instant migratedAt = Instant.now();
        Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200);
        Operation waited = unknown(OperationIntent.migration(datasource, "8", "c", "s", "t", QUEUE));
        String requestedAt = OperationRows.query(dataSource, "SELECT requested_at::text AS t FROM operation"
                + " WHERE operation_id = ?", waited.operationId()).get(0).get("t").toString();
        PostgresAdmin.tamper("UPDATE operation SET requested_at = '" + migratedAt.minusSeconds(120)
                + "'::timestamptz WHERE operation_id = '" + waited.operationId() + "'");
        try {
            listedMigratedAt(datasource, migratedAt);
            reconciler.reconcileNow();
            Api.asAuditor().get("/api/v1/audit/operations/" + waited.operationId()).then().statusCode(200)
                    .body("reconciliation.state", org.hamcrest.Matchers.not(equalTo("COMPLETE")));
        } finally {
            PostgresAdmin.tamper("UPDATE operation SET requested_at = '" + requestedAt + "'::timestamptz"
                    + " WHERE operation_id = '" + waited.operationId() + "'");
        }
    }

    /**
     * Migrated before by the trail, and a migration date just after the request: that may be the
     * earlier migration's date on a Domo clock ahead of ours, so a person is asked, not COMPLETE recorded.
     */
    @Test
    void aDateJustAfterTheRequestOfADatasourceMigratedBeforeCannotTell() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        String second = migratedThenAgainUnanswered(datasource);
        listedMigratedAt(datasource, requestedAt(second).plusSeconds(10));
        assertAskedAPerson(datasource, second, "too close after it");
    }

    /**
     * The same when the earlier migration's outcome is not known (INCOMPLETE, re-attempted at once):
     * the date may be that migration's, so a person is asked, not COMPLETE recorded (review). A
     * datasource the trail knows nothing of is still concluded from such a date (the first tests).
     */
    @Test
    void aDateJustAfterTheRequestOfADatasourceAnEarlierOperationMayHaveMigratedCannotTell() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        String second = migratedThenAgainUnanswered(datasource, "INCOMPLETE");
        listedMigratedAt(datasource, requestedAt(second).plusSeconds(10));
        assertAskedAPerson(datasource, second, "an earlier operation may have migrated it");
    }

    /**
     * Migrated, reversed, migrated again without an answer: Domo dating its migration before the
     * request contradicts the trail's reversal (Domo may keep the first date), so a person is asked;
     * it was recorded ABORTED, and the datasource's account dropped from what a reversal may take.
     */
    @Test
    void aMigrationDateBeforeTheRequestOfADatasourceReversedSinceCannotTell() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/8").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200);
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/8").willReturn(aResponse().withFixedDelay(5000)
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        String third = Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(504)
                .extract().path("operationId");
        listedMigratedAt(datasource, requestedAt(third).minusSeconds(120));
        assertAskedAPerson(datasource, third, "Domo may have kept an earlier migration's date");
    }

    private static Instant requestedAt(String operationId) {
        return Instant.parse(Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .extract().path("requestedAt"));
    }

    /** Runs reconciliation until the operation is concluded or flagged: flagged, for this reason, not concluded. */
    private void assertAskedAPerson(String datasource, String operationId, String reason) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
            reconciler.reconcileNow();
            return OperationRows.forDatasource(dataSource, datasource).stream()
                    .filter(row -> operationId.equals(String.valueOf(row.get("operation_id"))))
                    .anyMatch(row -> row.get("review_reason") != null || row.get("reconciled_state") != null);
        });
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("reconciliation", org.hamcrest.Matchers.nullValue())
                .body("review.reason", org.hamcrest.Matchers.containsString(reason));
    }

    /** Where Domo's candidates cannot tell, a person is asked; the datasource stays locked until one answers. */
    @Test
    void whatDomoCannotTellIsFlaggedForAPersonAndResolvedByHand() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        // A reversal of a datasource never migrated through this service: under which account Domo
        // lists it is not known.
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withFixedDelay(5000)
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        String operationId = Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then()
                .statusCode(504).extract().path("operationId");

        // Asked once Domo can no longer be carrying it out (the migration deadline, 3 s in tests, again).
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250)).until(() -> {
            reconciler.reconcileNow();
            return OperationRows.forDatasource(dataSource, datasource).get(0).get("review_reason") != null;
        });
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("reconciliation", org.hamcrest.Matchers.nullValue())
                .body("review.reason", org.hamcrest.Matchers.containsString("no migration of datasource"))
                .body("chain.review.hash", org.hamcrest.Matchers.matchesPattern("[0-9a-f]{64}"));
        Api.asAuditor().queryParam("needsReview", "true").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200)
                .body("items.operationId", org.hamcrest.Matchers.contains(operationId));
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(409)
                .body("detail", org.hamcrest.Matchers.containsString("a person"));
        // Flagged once: another pass changes nothing.
        reconciler.reconcileNow();

        Api.asReader().contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"checked\"}")
                .post("/api/v1/operations/" + operationId + "/reconciliation").then().statusCode(403);
        Api.asOperator().contentType("application/json").body("{\"state\":\"MAYBE\"}")
                .post("/api/v1/operations/" + operationId + "/reconciliation").then().statusCode(400)
                .body("errors.field", org.hamcrest.Matchers.hasItems("state", "note"));
        Api.asOperator().contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"Checked\"}")
                .post("/api/v1/operations/" + java.util.UUID.randomUUID() + "/reconciliation").then().statusCode(404);
        // A control character is named as such (the note is short enough).
        Api.asOperator().contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"bell\\u0007\"}")
                .post("/api/v1/operations/" + operationId + "/reconciliation").then().statusCode(400)
                .body("errors[0].message", equalTo("must hold no control characters other than line breaks"));
        // Resolved by another operator, who may not read the audit trail: it is not shown where the operation
        // was asked from, nor under which grant (review: the answer showed a colleague's address and scopes).
        String resolver = "resolving-operator-" + System.nanoTime();
        io.restassured.RestAssured.given().auth().oauth2(com.domomigrationproxy.support.Tokens.jwt(resolver, "operator"))
                .contentType("application/json")
                .body("{\"state\":\"COMPLETE\",\"note\":\"Domo's admin UI shows it on V1 since 10:15\\r\\nsee CHG-9\"}")
                .post("/api/v1/operations/" + operationId + "/reconciliation").then().statusCode(200)
                .body("reconciliation.state", equalTo("COMPLETE"))
                .body("reconciliation.by", equalTo(resolver))
                .body("reconciliation.note", org.hamcrest.Matchers.endsWith(
                        ": Domo's admin UI shows it on V1 since 10:15\nsee CHG-9"))
                // How the person signed in, and which request: its access log line has the address.
                .body("reconciliation.note", org.hamcrest.Matchers.matchesPattern(java.util.regex.Pattern.compile(
                        "Resolved by " + resolver + " \\(jwt, request [0-9a-f-]{36}\\): .*", java.util.regex.Pattern.DOTALL)))
                .body("requestedBy", equalTo("operator-svc"))
                .body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("chain")))
                .body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("scopes")))
                .body("clientAddress", org.hamcrest.Matchers.nullValue());
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("clientAddress", org.hamcrest.Matchers.notNullValue()).body("scopes", equalTo(java.util.Map.of()));
        Api.asOperator().contentType("application/json").body("{\"state\":\"ABORTED\",\"note\":\"again\"}")
                .post("/api/v1/operations/" + operationId + "/reconciliation").then().statusCode(409);
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));

        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"ABORTED\"}")));
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
    }

    /**
     * A plan's operation is requested by the plan's starter under the plan creator's grant: the
     * starter who resolves it, no auditor, is not shown that grant (scopes review: the answer
     * carried the creator's scopes, as if the grant were the starter's own).
     */
    @Test
    void aPlansStarterResolvingItsOperationIsNotShownTheCreatorsGrant() {
        java.util.UUID plan = java.util.UUID.randomUUID();
        com.domomigrationproxy.support.PostgresAdmin.tamper("INSERT INTO plan (plan_id, name, direction, state,"
                + " max_concurrency, content_hash, item_count, approvals_required, created_by, created_auth_method,"
                + " created_request_id, created_at, preflight_at, started_by, started_auth_method, started_at,"
                + " finished_at, updated_at) VALUES ('" + plan + "', 'scoped', 'V2_TO_V1', 'CANCELLED', 1, '"
                + "0".repeat(64) + "', 1, 1, 'creator-k', 'api-key', 'r', '2001-01-01Z', '2001-01-01Z', 'operator-svc',"
                + " 'api-key', '2001-01-01Z', '2001-01-02Z', '2001-01-02Z')");
        Operation pending = audit.recordIntent(OperationIntent.reversal(
                Api.uniqueDatasourceId(), new com.domomigrationproxy.security.Requester("operator-svc", "api-key",
                        "req-" + java.util.UUID.randomUUID(), null,
                        com.domomigrationproxy.security.Scopes.fromJson("{\"accounts\":[\"sales-1\"]}")))
                .forPlan(plan), none -> {
                });
        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "No answer in time", null,
                3000));
        audit.flagForReview(pending.operationId(), "Domo cannot tell").orElseThrow();
        Api.asOperator().contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"checked\"}")
                .post("/api/v1/operations/" + pending.operationId() + "/reconciliation").then().statusCode(200)
                .body("requestedBy", equalTo("operator-svc"))
                .body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("scopes")));
        Api.asAuditor().get("/api/v1/audit/operations/" + pending.operationId()).then().statusCode(200)
                .body("scopes.accounts", org.hamcrest.Matchers.contains("sales-1"));
    }

    /** Right after the deadline Domo may still carry an operation out: a person may record COMPLETE, not yet ABORTED. */
    @Test
    void aPersonRecordsAbortedOnlyOnceDomoCanNoLongerCarryItOut() {
        String datasource = Api.uniqueDatasourceId();
        Operation pending = audit.recordIntent(OperationIntent.reversal(datasource,
                new Requester("timed-out-svc", "api-key", "req-timeout", null, Scopes.UNRESTRICTED)), none -> {
                });
        Instant waitEnded = audit.recordOutcome(pending,
                Outcome.withoutResult(OperationState.UNKNOWN, null, "No answer in time", null, 3000L)).outcome().completedAt();
        String path = "/api/v1/operations/" + pending.operationId() + "/reconciliation";
        int aborted = Api.asOperator().contentType("application/json")
                .body("{\"state\":\"ABORTED\",\"note\":\"admin UI: still V2\"}").post(path).then().extract().statusCode();
        if (Instant.now().isBefore(waitEnded.plusSeconds(3))) { // the window is 3 s in tests
            assertThat(aborted).isEqualTo(409);
            Api.asOperator().contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"admin UI: on V1\"}")
                    .post(path).then().statusCode(200).body("reconciliation.state", equalTo("COMPLETE"));
        } else {
            assertThat(aborted).as("past the window on this slow machine").isEqualTo(200);
        }
    }

    @Test
    void anOperationStillInFlightCannotBeResolvedByHand() {
        domo.resetAll();
        String datasource = Api.uniqueDatasourceId();
        Operation pending = audit.recordIntent(OperationIntent.reversal(datasource,
                new Requester("busy-svc", "api-key", "req-busy", null, Scopes.UNRESTRICTED)), none -> {
                });
        Api.asOperator().contentType("application/json").body("{\"state\":\"ABORTED\",\"note\":\"guess\"}")
                .post("/api/v1/operations/" + pending.operationId() + "/reconciliation").then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:operation-resolved"));
        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.FAILED, null, "done", 500, 1L));
    }

    /**
     * Another replica's reconciler flags an operation whose outcome waits in this replica's backlog
     * (the database was away when Domo answered); the outcome written afterwards leaves nothing to
     * review. It stayed in the queue for good, where resolving it was refused (it has an outcome).
     */
    @Test
    void aFlaggedOperationWhoseOutcomeArrivesLateLeavesTheReviewQueue() {
        String datasource = Api.uniqueDatasourceId();
        Operation pending = audit.recordIntent(OperationIntent.reversal(datasource,
                new Requester("late-svc", "api-key", "req-late", null, Scopes.UNRESTRICTED)), none -> {
                });
        audit.flagForReview(pending.operationId(), "Domo cannot tell");
        Api.asAuditor().queryParam("needsReview", "true").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200)
                .body("items.operationId", org.hamcrest.Matchers.contains(pending.operationId().toString()));

        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.FAILED, "T-LATE", "refused", 404, 1L));
        Api.asAuditor().queryParam("needsReview", "true").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200)
                .body("items", org.hamcrest.Matchers.empty());
        Api.asAuditor().get("/api/v1/audit/operations/" + pending.operationId()).then().statusCode(200)
                .body("state", equalTo("FAILED")).body("review.reason", equalTo("Domo cannot tell"));
    }

    @Test
    void theReviewQueueOfAScopedOperatorHoldsOnlyWhatItMayResolve() {
        String account = "queue-" + System.nanoTime();
        Operation inScope = flagged(Api.uniqueDatasourceId(), account);
        Operation elsewhere = flagged(Api.uniqueDatasourceId(), account + "-other");
        Operation byDatasource = flagged("queue-ds-" + System.nanoTime(), account + "-other");
        // A reversal is judged by the account its data source last went to.
        String migrated = Api.uniqueDatasourceId();
        Operation migration = audit.recordIntent(OperationIntent.migration(migrated, account, "c", "s", "t",
                new Requester("queue-svc", "api-key", "req-queue", null, Scopes.UNRESTRICTED)), none -> {
                });
        audit.recordOutcome(migration, Outcome.withoutResult(OperationState.COMPLETE, "T-Q", null, 200, 7L));
        Operation reversalInScope = flaggedReversal(migrated);
        Operation reversalOfNothing = flaggedReversal(Api.uniqueDatasourceId());

        // A migration is the caller's to resolve when both its account and its data source are in scope.
        Scopes byAccount = new Scopes(null, java.util.List.of(account), null);
        assertThat(resolutions.queue(java.util.Optional.of(byAccount), 1_000).items()).extracting(Operation::operationId)
                .contains(inScope.operationId(), reversalInScope.operationId())
                .doesNotContain(elsewhere.operationId(), byDatasource.operationId(), reversalOfNothing.operationId());
        Scopes byPrefix = new Scopes(null, null, java.util.List.of("queue-ds-*"));
        assertThat(resolutions.queue(java.util.Optional.of(byPrefix), 1_000).items()).extracting(Operation::operationId)
                .contains(byDatasource.operationId()).doesNotContain(inScope.operationId(), elsewhere.operationId());
        // Newest first, as the whole queue, and cut at the limit.
        Scopes either = new Scopes(null, java.util.List.of(account, account + "-other"), null);
        assertThat(resolutions.queue(java.util.Optional.of(either), 2).items()).extracting(Operation::operationId)
                .containsExactly(reversalInScope.operationId(), byDatasource.operationId());
        assertThat(resolutions.queue(java.util.Optional.empty(), 1_000).items()).extracting(Operation::operationId)
                .contains(inScope.operationId(), elsewhere.operationId(), byDatasource.operationId());
        assertThat(resolutions.queue(java.util.Optional.of(new Scopes(null, java.util.List.of(), null)), 1_000)
                .items()).isEmpty();
        assertThat(resolutions.queue(java.util.Optional.of(either), 2).more()).as("more follow the limit").isTrue();
    }

    /**
     * More operations than a page that cannot be concluded yet (their account's candidates refused,
     * within the window Domo may still act) do not keep a newer one from being looked at; and the
     * failing account is asked once in the pass, not once per operation (found in review).
     */
    @Test
    void operationsThatCannotBeConcludedDoNotHideNewerOnes() {
        domo.resetAll();
        String stuckAccount = "stuck-" + UUID.randomUUID();
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + stuckAccount).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"no such account\"}")));
        List<Operation> stuck = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            stuck.add(unknown(OperationIntent.migration(Api.uniqueDatasourceId(), stuckAccount, "c", "s", "t", QUEUE)));
        }
        String account = "acct-" + UUID.randomUUID();
        String datasource = Api.uniqueDatasourceId();
        Operation newer = unknown(OperationIntent.migration(datasource, account, "c", "s", "t", QUEUE));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + datasource
                        + "\",\"name\":\"x\",\"migrated\":true,\"migrationDate\":\"" + Instant.now() + "\"}]")));

        reconciler.reconcileNow();

        assertThat(audit.find(newer.operationId()).orElseThrow().reconciliation()).isNotNull();
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/candidates/" + stuckAccount)));

        // Concluded once the account answers, so that no later test's pass meets them (each would ask
        // the account again, and flag all 101 for a person once Domo's window is over).
        StringBuilder migrated = new StringBuilder("[");
        for (Operation operation : stuck) {
            migrated.append(migrated.length() > 1 ? "," : "").append("{\"id\":\"").append(operation.intent().datasourceId())
                    .append("\",\"name\":\"x\",\"migrated\":true,\"migrationDate\":\"").append(Instant.now())
                    .append("\"}");
        }
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + stuckAccount).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(migrated.append(']').toString())));
        reconciler.reconcileNow();
        assertThat(stuck).allSatisfy(operation -> assertThat(audit.find(operation.operationId()).orElseThrow()
                .reconciliation()).isNotNull());
    }

    /**
     * Domo refusing the service's own token (401, 403) says nothing about the operation: it waits
     * for a later pass instead of being flagged for a person, and is concluded once the token works.
     */
    @Test
    void aRefusedServiceTokenIsNotACaseForAPerson() {
        domo.resetAll();
        String account = "acct-" + UUID.randomUUID();
        String datasource = Api.uniqueDatasourceId();
        Operation operation = unknown(OperationIntent.migration(datasource, account, "c", "s", "t", QUEUE));
        Instant settled = reconciler.settlesAt(audit.find(operation.operationId()).orElseThrow());
        await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().isAfter(settled));
        for (int status : new int[] { 401, 403 }) {
            domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(status)
                    .withHeader("Content-Type", "application/json").withBody("{\"message\":\"token refused\"}")));
            reconciler.reconcileNow();
            Operation now = audit.find(operation.operationId()).orElseThrow();
            assertThat(now.review()).as("after a %d", status).isNull();
            assertThat(now.reconciliation()).isNull();
        }
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + datasource
                        + "\",\"name\":\"x\",\"migrated\":false,\"migrationDate\":null}]")));
        reconciler.reconcileNow();
        assertThat(audit.find(operation.operationId()).orElseThrow().reconciliation().state())
                .isEqualTo(OperationState.ABORTED);
    }

    /** An operation whose answer did not come in time. */
    private Operation unknown(OperationIntent intent) {
        Operation pending = audit.recordIntent(intent, none -> {
        });
        audit.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "No answer in time", null,
                3000));
        return pending;
    }

    /**
     * Migrates the datasource into account 8, then again with no answer in time (Domo answers
     * "already migrated" 5 s later): the second operation's id, UNKNOWN.
     */
    private String migratedThenAgainUnanswered(String datasource) {
        return migratedThenAgainUnanswered(datasource, "COMPLETE");
    }

    /** The same with the first migration's state as Domo answers it (INCOMPLETE: to be re-attempted). */
    private String migratedThenAgainUnanswered(String datasource, String firstState) {
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/8").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"" + firstState + "\"}")));
        Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200);
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/8").willReturn(aResponse().withFixedDelay(5000)
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"ABORTED\",\"errorMessage\":\"already migrated\"}")));
        return Api.asOperator().contentType("application/json").body(MIGRATION_TO_8)
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(504)
                .extract().path("operationId");
    }

    /** Domo's candidates of account 8 list the datasource as migrated at that date. */
    private void listedMigratedAt(String datasource, Instant date) {
        domo.stubFor(get(DOMO_PREFIX + "/candidates/8").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + datasource
                        + "\",\"name\":\"x\",\"migrated\":true,\"migrationDate\":\"" + date + "\"}]")));
    }

    private Operation flagged(String datasource, String account) {
        return flagged(OperationIntent.migration(datasource, account, "c", "s", "t", QUEUE));
    }

    private Operation flaggedReversal(String datasource) {
        return flagged(OperationIntent.reversal(datasource, QUEUE));
    }

    private Operation flagged(OperationIntent intent) {
        Operation pending = unknown(intent);
        audit.flagForReview(pending.operationId(), "Domo cannot tell");
        return pending;
    }
}
