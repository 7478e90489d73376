package com.domomigrationproxy.security;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.TestCredentials;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

/**
 * The scope matrix: each of the five operations for a caller in scope, and out of scope by
 * integration type, account and data source, with the same grant given once as an API key entry
 * and once as a JWT claim; refusals are 403 out-of-scope and Domo is never called. Where a scope
 * cannot apply to an operation (an account's type is not known without asking Domo), the matrix
 * shows that the operation is decided by the scope that does apply.
 */
@QuarkusTest
class ScopeEnforcementTest {

    private static final String OUT_OF_SCOPE = "urn:problem-type:domo-migration-proxy:out-of-scope";
    /** Sales only: MySQL types, the sales accounts, the sales data sources. */
    private static final String SALES = "{\"integrationTypes\":[\"mysql-*\"],\"accounts\":[\"sales-*\"],"
            + "\"datasources\":[\"ds-sales-*\"]}";
    private static final String NOTHING = "{\"integrationTypes\":[],\"accounts\":[],\"datasources\":[]}";
    private static final String SALES_KEY = "test-sales-key-" + UUID.randomUUID();
    private static final String NOTHING_KEY = "test-nothing-key-" + UUID.randomUUID();

    /** The same grant, carried two ways. */
    enum Credential {
        API_KEY, JWT
    }

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    com.domomigrationproxy.ledger.OperationStore operations;

    @BeforeEach
    void grantsAndDomo() {
        ApiKeys.writeWithDefaults(List.of(
                new ApiKeys.Key("sales-svc", SALES_KEY, List.of("reader", "operator"), SALES, null),
                new ApiKeys.Key("nothing-svc", NOTHING_KEY, List.of("reader", "operator"), NOTHING, null)));
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(json("[\"mysql-federated\",\"snowflake-federated\"]")));
        domo.stubFor(get(DOMO_PREFIX + "/accounts/mysql-federated").willReturn(json(
                "[{\"id\":\"sales-1\",\"type\":\"mysql-federated\",\"name\":\"Sales\"},"
                        + "{\"id\":\"hr-1\",\"type\":\"mysql-federated\",\"name\":\"HR\"}]")));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/sales-1").willReturn(json(
                "[{\"id\":\"ds-sales-1\",\"name\":\"Orders\",\"migrated\":false,\"migrationDate\":null},"
                        + "{\"id\":\"ds-hr-1\",\"name\":\"Salaries\",\"migrated\":false,\"migrationDate\":null}]")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*")).willReturn(json(
                "{\"toe\":\"T\",\"state\":\"COMPLETE\",\"startTime\":\"s\",\"endTime\":\"e\"}")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(json(
                "{\"toe\":\"T\",\"state\":\"COMPLETE\",\"startTime\":\"s\",\"endTime\":\"e\"}")));
    }

    @AfterEach
    void restoreKeys() {
        ApiKeys.write(ApiKeys.DEFAULT);
    }

    // --- 1. integration types: the list holds only the types in scope ---------------------------------

    @ParameterizedTest
    @EnumSource(Credential.class)
    void integrationTypesListOnlyTheTypesInScope(Credential credential) {
        sales(credential).get("/api/v1/integration-types").then().statusCode(200)
                .body("$", contains("mysql-federated"));
        nothing(credential).get("/api/v1/integration-types").then().statusCode(200).body("$", empty());
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void integrationTypesAreNotRestrictedByAccountsOrDatasources(Credential credential) {
        caller(credential, "{\"accounts\":[],\"datasources\":[]}").get("/api/v1/integration-types").then()
                .statusCode(200).body("$", contains("mysql-federated", "snowflake-federated"));
    }

    // --- 2. accounts: a type out of scope is refused, the answer holds only accounts in scope ---------

    @ParameterizedTest
    @EnumSource(Credential.class)
    void accountsInScopeOfATypeInScope(Credential credential) {
        sales(credential).get("/api/v1/integration-types/mysql-federated/accounts").then().statusCode(200)
                .body("id", contains("sales-1"));
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void accountsOfATypeOutOfScopeAreRefused(Credential credential) {
        refused(sales(credential).get("/api/v1/integration-types/snowflake-federated/accounts"), "integrationTypes")
                .body("detail", containsString("snowflake-federated"));
        refused(nothing(credential).get("/api/v1/integration-types/mysql-federated/accounts"), "integrationTypes");
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void accountsAreNotRestrictedByDatasources(Credential credential) {
        caller(credential, "{\"datasources\":[]}").get("/api/v1/integration-types/mysql-federated/accounts").then()
                .statusCode(200).body("id", contains("sales-1", "hr-1"));
        caller(credential, "{\"accounts\":[]}").get("/api/v1/integration-types/mysql-federated/accounts").then()
                .statusCode(200).body("$", empty());
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/accounts/mysql-federated")));
    }

    // --- 3. candidates: an account out of scope is refused, the answer holds only data sources in scope

    @ParameterizedTest
    @EnumSource(Credential.class)
    void candidatesInScopeOfAnAccountInScope(Credential credential) {
        sales(credential).get("/api/v1/accounts/sales-1/candidates").then().statusCode(200)
                .body("id", contains("ds-sales-1"));
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void candidatesOfAnAccountOutOfScopeAreRefused(Credential credential) {
        refused(sales(credential).get("/api/v1/accounts/hr-1/candidates"), "accounts")
                .body("detail", containsString("hr-1"));
        refused(nothing(credential).get("/api/v1/accounts/sales-1/candidates"), "accounts");
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /** An account's type is not known without asking Domo: the account scope decides, not the type scope. */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void candidatesAreDecidedByTheAccountScopeNotTheTypeScope(Credential credential) {
        caller(credential, "{\"integrationTypes\":[],\"accounts\":[\"sales-1\"],\"datasources\":[]}")
                .get("/api/v1/accounts/sales-1/candidates").then().statusCode(200).body("$", empty());
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    // --- 4. migrations: the target account and the data source must be in scope ------------------------

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aMigrationInScopeRunsAndRecordsTheGrant(Credential credential) throws Exception {
        String datasource = "ds-sales-" + UUID.randomUUID();
        String operationId = migrate(sales(credential), datasource, "sales-1").then().statusCode(200)
                .body("state", equalTo("COMPLETE"))
                .body("scopes.accounts", contains("sales-*"))
                .body("scopes.integrationTypes", contains("mysql-*"))
                .extract().path("operationId");
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-1")));

        Map<String, Object> row = OperationRows.forDatasource(dataSource, datasource).get(0);
        assertThat(new ObjectMapper().readTree((String) row.get("scopes")))
                .isEqualTo(new ObjectMapper().readTree(SALES));
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("scopes.datasources", contains("ds-sales-*"));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aMigrationToAnAccountOutOfScopeIsRefused(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        refused(migrate(sales(credential), datasource, "hr-1"), "accounts");
        refused(migrate(nothing(credential), datasource, "sales-1"), "accounts");
        assertNothingHappened(datasource);
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aMigrationOfADatasourceOutOfScopeIsRefused(Credential credential) {
        String datasource = "ds-hr-" + UUID.randomUUID();
        refused(migrate(sales(credential), datasource, "sales-1"), "datasources")
                .body("detail", containsString(datasource));
        refused(migrate(caller(credential, "{\"datasources\":[]}"), datasource, "sales-1"), "datasources");
        assertNothingHappened(datasource);
    }

    /** An account's type is not known without asking Domo: a migration is decided by the account scope. */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void aMigrationIsDecidedByTheAccountScopeNotTheTypeScope(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        migrate(caller(credential, "{\"integrationTypes\":[],\"accounts\":[\"sales-1\"]}"), datasource, "sales-1")
                .then().statusCode(200);
        refused(migrate(caller(credential, "{\"integrationTypes\":[\"mysql-*\"],\"accounts\":[]}"),
                "ds-sales-" + UUID.randomUUID(), "sales-1"), "accounts");
    }

    // --- 5. reversals: the data source, and the account of its last recorded migration ---------------

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aReversalInScopeRuns(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        migrate(sales(credential), datasource, "sales-1").then().statusCode(200);
        sales(credential).post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200)
                .body("direction", equalTo("V2_TO_V1")).body("scopes.accounts", contains("sales-*"));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /**
     * A data source's UUID in the other letter case is the same data source: its migration in one
     * case is the trail a reversal in the other is checked against, both ways.
     */
    @Test
    void aReversalFindsTheMigrationOfItsUuidInTheOtherLetterCase() {
        String upper = UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT);
        String lower = upper.toLowerCase(java.util.Locale.ROOT);
        String salesAccounts = "{\"accounts\":[\"sales-*\"]}";
        migrate(jwt(salesAccounts), upper, "sales-1").then().statusCode(200);
        jwt(salesAccounts).post("/api/v1/datasources/" + lower + "/reversals").then().statusCode(200);
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + lower + "/reverse")));

        String other = UUID.randomUUID().toString();
        migrate(Api.asOperator(), other, "hr-1").then().statusCode(200);
        refused(jwt(salesAccounts).post("/api/v1/datasources/" + other.toUpperCase(java.util.Locale.ROOT)
                + "/reversals"), "accounts");
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aReversalOfADatasourceLastMigratedToAnAccountOutOfScopeIsRefused(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        migrate(Api.asOperator(), datasource, "sales-1").then().statusCode(200);
        migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200);
        domo.resetRequests();

        // The same detail as for a data source with no recorded migration: the refusal tells nothing of the trail.
        refused(sales(credential).post("/api/v1/datasources/" + datasource + "/reversals"), "accounts")
                .body("detail", equalTo("No migration of data source " + datasource
                        + " into an account within your accounts scope is recorded, so you may not reverse it"))
                .body("detail", not(containsString("hr-1")));
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).hasSize(2);
    }

    /**
     * A migration Domo refused left the data source where it was: recording one into an account in
     * scope must not open the reversal of a data source that lives in an account out of scope.
     */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void aRefusedMigrationIntoScopeDoesNotOpenTheReversalOfADatasourceOutOfScope(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200);
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-x")).willReturn(aResponse()
                .withStatus(400).withHeader("Content-Type", "application/json")
                .withBody("{\"message\":\"already migrated\"}")));
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-y")).willReturn(json(
                "{\"toe\":\"T\",\"state\":\"ABORTED\",\"startTime\":\"s\",\"endTime\":\"e\"}")));
        migrate(sales(credential), datasource, "sales-x").then().statusCode(400);
        migrate(sales(credential), datasource, "sales-y").then().statusCode(200).body("state", equalTo("ABORTED"));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).extracting(row -> row.get("state"))
                .containsExactly("COMPLETE", "FAILED", "ABORTED");
        domo.resetRequests();

        // The same detail as for a data source with no recorded migration: the refusal tells nothing of the trail.
        refused(sales(credential).post("/api/v1/datasources/" + datasource + "/reversals"), "accounts")
                .body("detail", equalTo("No migration of data source " + datasource
                        + " into an account within your accounts scope is recorded, so you may not reverse it"))
                .body("detail", not(containsString("hr-1")));
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * Reversals racing the caller's own migration into an account in scope, which Domo refuses: the
     * scope was checked only before the intent, so a reversal checked while that migration was
     * PENDING (an account in scope) and recorded once the refusal had freed the data source ran out
     * of an account outside the caller's scopes (security review). Now the scope is checked again
     * in the intent's transaction. Bursts of reversals around the moment Domo's refusal comes back:
     * none may reach Domo.
     */
    @Test
    void aReversalRacingARefusedMigrationIntoScopeNeverRuns() throws Exception {
        java.util.concurrent.ScheduledExecutorService senders = java.util.concurrent.Executors.newScheduledThreadPool(8);
        try {
            for (int round = 0; round < 6; round++) {
                String datasource = "ds-sales-" + UUID.randomUUID();
                migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200);
                domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-x")).willReturn(aResponse()
                        .withFixedDelay(300).withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"message\":\"already migrated\"}")));
                java.util.concurrent.Future<Integer> migration = senders.submit(
                        () -> migrate(sales(Credential.API_KEY), datasource, "sales-x").statusCode());
                List<java.util.concurrent.ScheduledFuture<Integer>> reversals = new java.util.ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    reversals.add(senders.schedule(() -> sales(Credential.API_KEY)
                            .post("/api/v1/datasources/" + datasource + "/reversals").statusCode(),
                            260 + i * 5L, java.util.concurrent.TimeUnit.MILLISECONDS));
                }
                assertThat(migration.get()).isEqualTo(400);
                for (var reversal : reversals) {
                    assertThat(reversal.get()).as("round %d", round).isIn(403, 409);
                }
                domo.verify(0, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
                assertThat(OperationRows.forDatasource(dataSource, datasource)).extracting(row -> row.get("direction"))
                        .doesNotContain("V2_TO_V1");
            }
        } finally {
            senders.shutdownNow();
        }
    }

    /**
     * A migration that failed on Domo's 500 may have been carried out before Domo failed: the account
     * it named decides the reversal, as a migration that took effect would, not the one before it.
     */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void aMigrationThatFailedOnA5xxMayHaveMovedTheDatasourceOutOfScope(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        migrate(Api.asOperator(), datasource, "sales-1").then().statusCode(200);
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/hr-1"))
                .willReturn(aResponse().withStatus(500)));
        migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(502);
        assertThat(OperationRows.forDatasource(dataSource, datasource)).extracting(row -> row.get("state"))
                .containsExactly("COMPLETE", "COMPLETE", "FAILED");
        domo.resetRequests();

        refused(sales(credential).post("/api/v1/datasources/" + datasource + "/reversals"), "accounts");
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * A reversal repeated with its Idempotency-Key gets its stored answer though the data source was
     * migrated out of the caller's scope since: the 403 said the reversal had not run, when it had. A new
     * key, which would reach Domo, is still decided by the trail.
     */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void aRepeatedReversalGetsItsAnswerThoughTheDatasourceLeftTheScopeSince(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        String reversal = "/api/v1/datasources/" + datasource + "/reversals";
        migrate(Api.asOperator(), datasource, "sales-1").then().statusCode(200);
        String key = UUID.randomUUID().toString();
        // One principal throughout: a key is its owner's.
        String token = credential == Credential.JWT ? jwtToken(SALES) : null;
        java.util.function.Supplier<RequestSpecification> caller = () -> token == null
                ? given().header("X-API-Key", SALES_KEY) : given().auth().oauth2(token);
        String first = caller.get().header("Idempotency-Key", key).post(reversal).then().statusCode(200)
                .extract().path("operationId");
        migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200);
        domo.resetRequests();

        caller.get().header("Idempotency-Key", key).post(reversal).then().statusCode(200)
                .header("Idempotent-Replayed", "true").body("operationId", equalTo(first));
        refused(caller.get().header("Idempotency-Key", UUID.randomUUID().toString()).post(reversal), "accounts");
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * A migration resolved ABORTED (by hand, or by reconciliation) whose answer, written late from a
     * replica's backlog, says it took effect still decides which accounts the data source may be in:
     * the resolution cannot be mended, and read alone it hid the account the data source went into.
     */
    @Test
    void aMigrationResolvedAbortedThatDomoSaysTookEffectStillDecides() {
        String datasource = "ds-sales-" + UUID.randomUUID();
        String reversal = "/api/v1/datasources/" + datasource + "/reversals";
        migrate(Api.asOperator(), datasource, "sales-1").then().statusCode(200);
        Api.asOperator().post(reversal).then().statusCode(200);
        var requester = new Requester("ops-svc", "api-key", "req-lost", null, Scopes.UNRESTRICTED);
        var lost = operations.recordIntent(com.domomigrationproxy.ledger.OperationIntent.migration(datasource, "hr-1",
                "c", "s", "t", requester), none -> {
                });
        assertThat(operations.recordReconciliation(lost.operationId(), com.domomigrationproxy.ledger.OperationState.ABORTED,
                "resolved by hand", "a-person")).isPresent();
        operations.recordOutcome(lost, com.domomigrationproxy.ledger.Outcome.withoutResult(
                com.domomigrationproxy.ledger.OperationState.COMPLETE, "T-LATE", null, 200, 7L));
        domo.resetRequests();

        refused(sales(Credential.API_KEY).post(reversal), "accounts");
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * A migration into an account in scope whose effect is uncertain (a gateway's 504: UNKNOWN) must
     * not hide the one before it, which took the data source into an account out of scope: decided
     * by the latest alone, the caller could resolve its own operation as COMPLETE and reverse the data
     * source out of the other account (security review). Every account it may be in since its last
     * reversal decides.
     */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void anUncertainMigrationIntoScopeDoesNotOpenTheReversalOfADatasourceLivingOutOfScope(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        String reversal = "/api/v1/datasources/" + datasource + "/reversals";
        migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200);
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-1"))
                .willReturn(aResponse().withStatus(504)));
        String uncertain = migrate(sales(credential), datasource, "sales-1").then().statusCode(502)
                .extract().path("operationId");
        refused(sales(credential).post(reversal), "accounts");
        sales(credential).contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"it says so\"}")
                .post("/api/v1/operations/" + uncertain + "/reconciliation").then().statusCode(200);
        domo.resetRequests();
        refused(sales(credential).post(reversal), "accounts");
        domo.verify(0, anyRequestedFor(anyUrl()));

        // Reversed out of both by a caller with every account; then a migration into sales alone opens it.
        Api.asOperator().post(reversal).then().statusCode(200);
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-1")).willReturn(json(
                "{\"toe\":\"T\",\"state\":\"COMPLETE\",\"startTime\":\"s\",\"endTime\":\"e\"}")));
        migrate(sales(credential), datasource, "sales-1").then().statusCode(200);
        sales(credential).post(reversal).then().statusCode(200);
    }

    /**
     * The trail is read in the order the intents were recorded (that of the Domo calls), not of their
     * requestedAt, which is stamped before an intent waits for the audit store: a migration into an
     * account out of scope, requested before a reversal but recorded after it, still decides.
     */
    @Test
    void theAccountsAReversalNeedsFollowTheOrderIntentsWereRecordedIn() {
        String datasource = "ds-sales-" + UUID.randomUUID();
        String reversal = "/api/v1/datasources/" + datasource + "/reversals";
        migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200);
        String reversed = Api.asOperator().post(reversal).then().statusCode(200).extract().path("operationId");
        String late = migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200).extract().path("operationId");
        String requestedAt = OperationRows.query(dataSource, "SELECT requested_at::text AS t FROM operation"
                + " WHERE operation_id = ?::uuid", late).get(0).get("t").toString();
        // As if it had been requested before the reversal, and waited for the audit store until after it.
        PostgresAdmin.tamper("UPDATE operation SET requested_at = (SELECT requested_at - interval '1 second' FROM operation"
                + " WHERE operation_id = '" + reversed + "') WHERE operation_id = '" + late + "'");
        try {
            domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/sales-1"))
                    .willReturn(aResponse().withStatus(504)));
            migrate(sales(Credential.API_KEY), datasource, "sales-1").then().statusCode(502);
            domo.resetRequests();
            refused(sales(Credential.API_KEY).post(reversal), "accounts");
            domo.verify(0, anyRequestedFor(anyUrl()));
        } finally {
            PostgresAdmin.tamper("UPDATE operation SET requested_at = '" + requestedAt + "'::timestamptz WHERE operation_id = '"
                    + late + "'");
        }
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aReversalWithoutARecordedMigrationIsRefusedWhenAccountsAreRestricted(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        refused(sales(credential).post("/api/v1/datasources/" + datasource + "/reversals"), "accounts")
                .body("detail", equalTo("No migration of data source " + datasource
                        + " into an account within your accounts scope is recorded, so you may not reverse it"));
        // Without an account restriction there is nothing to check the account against.
        caller(credential, "{\"datasources\":[\"ds-sales-*\"]}").post("/api/v1/datasources/" + datasource + "/reversals")
                .then().statusCode(200);
    }

    @ParameterizedTest
    @EnumSource(Credential.class)
    void aReversalOfADatasourceOutOfScopeIsRefused(Credential credential) {
        String datasource = "ds-hr-" + UUID.randomUUID();
        migrate(Api.asOperator(), datasource, "sales-1").then().statusCode(200);
        domo.resetRequests();
        refused(sales(credential).post("/api/v1/datasources/" + datasource + "/reversals"), "datasources");
        refused(nothing(credential).post("/api/v1/datasources/" + datasource + "/reversals"), "datasources");
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).hasSize(1);
    }

    /** A reversal is decided by the data source and account scopes, whatever the type scope. */
    @ParameterizedTest
    @EnumSource(Credential.class)
    void aReversalIsNotDecidedByTheTypeScope(Credential credential) {
        String datasource = "ds-sales-" + UUID.randomUUID();
        migrate(Api.asOperator(), datasource, "sales-1").then().statusCode(200);
        caller(credential, "{\"integrationTypes\":[],\"accounts\":[\"sales-*\"]}")
                .post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
    }

    // --- around the five ------------------------------------------------------------------------------

    @Test
    void resolvingAnOperationByHandNeedsItInScope() {
        String datasource = "ds-sales-" + UUID.randomUUID();
        String operationId = migrate(Api.asOperator(), datasource, "hr-1").then().statusCode(200)
                .extract().path("operationId");
        String resolution = "{\"state\":\"COMPLETE\",\"note\":\"checked\"}";
        // The caller sent the operation's id only: the refusal names neither its account nor its data source.
        refused(sales(Credential.API_KEY).contentType("application/json").body(resolution)
                .post("/api/v1/operations/" + operationId + "/reconciliation"), "accounts")
                .body("detail", equalTo("Operation " + operationId + " is outside your accounts scope"));
        // In scope, the same request reaches the operation's own rules: it already has an outcome.
        Api.asOperator().contentType("application/json").body(resolution)
                .post("/api/v1/operations/" + operationId + "/reconciliation").then().statusCode(409);
    }

    @Test
    void anInvalidScopesClaimIsNotAnUnrestrictedToken() {
        String token = Tokens.claims("typo-" + UUID.randomUUID(), "operator")
                .claim("domo_scopes", Map.of("account", List.of("sales-*"))).sign(Tokens.privateKey());
        given().auth().oauth2(token).get("/api/v1/integration-types").then().statusCode(401);
        String notAnObject = Tokens.claims("string-" + UUID.randomUUID(), "operator")
                .claim("domo_scopes", "sales-*").sign(Tokens.privateKey());
        given().auth().oauth2(notAnObject).get("/api/v1/integration-types").then().statusCode(401);
        // A claim that is there but null is no more "no claim" than a misspelt one.
        String nullClaim = Tokens.claims("null-" + UUID.randomUUID(), "operator")
                .claim("domo_scopes", jakarta.json.JsonValue.NULL).sign(Tokens.privateKey());
        given().auth().oauth2(nullClaim).get("/api/v1/integration-types").then().statusCode(401);
        // Nor is a list that is null: SmallRye's claims leave such a member out, which read as "any".
        long now = System.currentTimeMillis() / 1000;
        for (String scopes : List.of("{\"accounts\":null}", "{\"integrationTypes\":null,\"datasources\":null}",
                "{\"accounts\":[\"sales-*\"],\"datasources\":null}")) {
            String nullList = Tokens.signed("{\"iss\":\"" + TestCredentials.ISSUER + "\",\"upn\":\"null-list-"
                    + UUID.randomUUID() + "\",\"groups\":[\"reader\",\"operator\"],\"iat\":" + now + ",\"exp\":"
                    + (now + 300) + ",\"domo_scopes\":" + scopes + "}");
            given().auth().oauth2(nullList).get("/api/v1/integration-types").then().statusCode(401);
        }
        domo.verify(0, anyRequestedFor(anyUrl()));
        // The same token with a list where the null was is accepted: the refusal is the null's.
        String listed = Tokens.signed("{\"iss\":\"" + TestCredentials.ISSUER + "\",\"upn\":\"listed-"
                + UUID.randomUUID() + "\",\"groups\":[\"reader\",\"operator\"],\"iat\":" + now + ",\"exp\":"
                + (now + 300) + ",\"domo_scopes\":{\"accounts\":[\"sales-*\"]}}");
        given().auth().oauth2(listed).get("/api/v1/accounts/sales-1/candidates").then().statusCode(not(equalTo(401)));
    }

    @Test
    void anApiKeyEntryWithInvalidScopesIsIgnoredNotUnrestricted() {
        String secret = "test-typo-key-" + UUID.randomUUID();
        ApiKeys.writeWithDefaults(List.of(
                new ApiKeys.Key("typo-svc", secret, List.of("operator"), "{\"account\":[\"sales-*\"]}", null),
                new ApiKeys.Key("sales-svc", SALES_KEY, List.of("reader", "operator"), SALES, null)));
        given().header("X-API-Key", secret).get("/api/v1/integration-types").then().statusCode(401);
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    private RequestSpecification sales(Credential credential) {
        return credential == Credential.API_KEY ? given().header("X-API-Key", SALES_KEY) : jwt(SALES);
    }

    private RequestSpecification nothing(Credential credential) {
        return credential == Credential.API_KEY ? given().header("X-API-Key", NOTHING_KEY) : jwt(NOTHING);
    }

    /** A caller with this grant; API keys other than the two of every test are written for the call. */
    private RequestSpecification caller(Credential credential, String scopes) {
        if (credential == Credential.JWT) {
            return jwt(scopes);
        }
        String secret = "test-scoped-key-" + UUID.randomUUID();
        ApiKeys.writeWithDefaults(List.of(
                new ApiKeys.Key("sales-svc", SALES_KEY, List.of("reader", "operator"), SALES, null),
                new ApiKeys.Key("nothing-svc", NOTHING_KEY, List.of("reader", "operator"), NOTHING, null),
                new ApiKeys.Key("scoped-svc", secret, List.of("reader", "operator"), scopes, null)));
        return given().header("X-API-Key", secret);
    }

    private static RequestSpecification jwt(String scopes) {
        return given().auth().oauth2(jwtToken(scopes));
    }

    /** A token of a new principal with this grant. */
    private static String jwtToken(String scopes) {
        try {
            return Tokens.claims("scoped-" + UUID.randomUUID(), "reader", "operator")
                    .claim("domo_scopes", new ObjectMapper().readValue(scopes, Map.class)).sign(Tokens.privateKey());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static io.restassured.response.Response migrate(RequestSpecification caller, String datasource,
            String account) {
        return caller.contentType("application/json")
                .body("{\"accountId\":\"" + account + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations");
    }

    private static ValidatableResponse refused(io.restassured.response.Response response, String scope) {
        return response.then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("detail", containsString(scope + " scope"))
                .body("operationId", equalTo(null));
    }

    private void assertNothingHappened(String datasource) {
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).isEmpty();
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }
}
