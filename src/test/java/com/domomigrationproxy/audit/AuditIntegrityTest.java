package com.domomigrationproxy.audit;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * Append-only is enforced by PostgreSQL, and the hash chain exposes what a superuser does with
 * the triggers off. Every tampering test puts the data back, so the chain verifies again after it.
 */
@QuarkusTest
class AuditIntegrityTest {

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void domoCompletesEverything() {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"toe\":\"T\",\"state\":\"COMPLETE\",\"startTime\":\"s\",\"endTime\":\"e\"}")));
    }

    @Test
    void untouchedChainVerifies() {
        AuditApiTest.migrate(Tokens.jwt("chain-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        JsonPath report = integrity();
        assertThat(report.getBoolean("valid")).isTrue();
        assertThat(report.getLong("checked")).isGreaterThanOrEqualTo(2);
        assertThat(report.getString("lastHash")).matches("[0-9a-f]{64}");
        assertThat(report.getString("firstInvalid")).isNull();
    }

    /**
     * PostgreSQL computes each link's hash (AuditChain.append) and Java recomputes it (ChainVerifier):
     * text beyond ASCII, quotes and backslashes must give the same UTF-8 bytes on both sides.
     */
    @Test
    void nonAsciiContentHashesAlikeInTheDatabaseAndTheVerifier() {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json; charset=utf-8")
                .withBody("{\"toe\":\"T\",\"state\":\"INCOMPLETE\",\"startTime\":\"s\",\"endTime\":\"e\","
                        + "\"errorMessage\":\"Zürich – 東京 \\\"quoted\\\" back\\\\slash ✓ 😀\"}")));
        String id = AuditApiTest.migrate(Tokens.jwt("prüfer-東京-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "t");
        JsonPath operation = Api.asAuditor().get("/api/v1/audit/operations/" + id).then().statusCode(200)
                .extract().jsonPath();
        assertThat(operation.getString("requestedBy")).startsWith("prüfer-東京-");
        assertThat(operation.getString("errorMessage")).isEqualTo("Zürich – 東京 \"quoted\" back\\slash ✓ 😀");
        JsonPath report = integrity();
        assertThat(report.getBoolean("valid")).isTrue();
        assertThat(report.getString("firstInvalid")).isNull();
    }

    @Test
    void updatesDeletesAndTruncatesAreRefusedByTheDatabase() throws SQLException {
        String operationId = AuditApiTest.migrate(Tokens.jwt("sql-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "t");
        try (Connection connection = connect(); Statement sql = connection.createStatement()) {
            for (String statement : List.of(
                    "UPDATE operation SET table_name = 'other' WHERE operation_id = '" + operationId + "'",
                    "UPDATE operation SET state = 'FAILED' WHERE operation_id = '" + operationId + "'",
                    "UPDATE operation SET state = 'PENDING', completed_at = NULL WHERE operation_id = '" + operationId + "'",
                    "DELETE FROM operation WHERE operation_id = '" + operationId + "'",
                    "TRUNCATE operation CASCADE",
                    "UPDATE audit_event SET hash = repeat('0', 64) WHERE operation_id = '" + operationId + "'",
                    "DELETE FROM audit_event WHERE operation_id = '" + operationId + "'",
                    "TRUNCATE audit_event")) {
                assertThatThrownBy(() -> sql.execute(statement)).as(statement).isInstanceOf(SQLException.class)
                        .hasMessageContaining("append-only");
            }
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void theOneAllowedTransitionWorks() throws SQLException {
        try (Connection connection = connect(); Statement sql = connection.createStatement()) {
            connection.setAutoCommit(false);
            String id = java.util.UUID.randomUUID().toString();
            sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,"
                    + " requested_at, state) VALUES ('" + id + "', 'V2_TO_V1', 'ds-x', 'someone', 'jwt', 'r', now(), 'PENDING')");
            assertThat(sql.executeUpdate("UPDATE operation SET state = 'COMPLETE', completed_at = now() WHERE operation_id = '"
                    + id + "'")).isEqualTo(1);
            assertThatThrownBy(() -> sql.execute("UPDATE operation SET state = 'FAILED' WHERE operation_id = '" + id + "'"))
                    .hasMessageContaining("append-only");
            connection.rollback();
        }
    }

    @Test
    void anAlteredOperationRowIsNamed() throws SQLException {
        String operationId = AuditApiTest.migrate(Tokens.jwt("alter-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "original_table");
        long intentSeq = seq(operationId, "INTENT");
        tamper("UPDATE operation SET table_name = 'forged_table' WHERE operation_id = '" + operationId + "'");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getString("firstInvalid.operationId")).isEqualTo(operationId);
            assertThat(report.getLong("firstInvalid.seq")).isEqualTo(intentSeq);
            assertThat(report.getString("firstInvalid.kind")).isEqualTo("INTENT");
            assertThat(report.getString("firstInvalid.reason")).contains("altered");
        } finally {
            tamper("UPDATE operation SET table_name = 'original_table' WHERE operation_id = '" + operationId + "'");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void anAlteredOutcomeIsNamed() throws SQLException {
        String operationId = AuditApiTest.migrate(Tokens.jwt("outcome-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "t");
        tamper("UPDATE operation SET state = 'ABORTED' WHERE operation_id = '" + operationId + "'");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getString("firstInvalid.operationId")).isEqualTo(operationId);
            assertThat(report.getString("firstInvalid.kind")).isEqualTo("OUTCOME");
        } finally {
            tamper("UPDATE operation SET state = 'COMPLETE' WHERE operation_id = '" + operationId + "'");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void aDeletedEventIsNamed() throws SQLException {
        String operationId = AuditApiTest.migrate(Tokens.jwt("delete-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "t");
        AuditApiTest.migrate(Tokens.jwt("after-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        long outcomeSeq = seq(operationId, "OUTCOME");
        String saved;
        try (Connection connection = connect(); Statement sql = connection.createStatement();
                ResultSet row = sql.executeQuery("SELECT prev_hash, hash, recorded_at FROM audit_event WHERE seq = " + outcomeSeq)) {
            row.next();
            saved = "(" + outcomeSeq + ", '" + operationId + "', 'OUTCOME', '" + row.getString("recorded_at") + "', '"
                    + row.getString("prev_hash") + "', '" + row.getString("hash") + "')";
        }
        tamper("DELETE FROM audit_event WHERE seq = " + outcomeSeq);
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            // The next event no longer links to its predecessor.
            assertThat(report.getLong("firstInvalid.seq")).isGreaterThan(outcomeSeq);
            assertThat(report.getString("firstInvalid.reason")).contains("removed, inserted or reordered");
        } finally {
            tamper("INSERT INTO audit_event (seq, operation_id, kind, recorded_at, prev_hash, hash) OVERRIDING SYSTEM VALUE"
                    + " VALUES " + saved);
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void reorderedEventsAreNamed() throws SQLException {
        String first = AuditApiTest.migrate(Tokens.jwt("order-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(),
                "1", "t");
        long a = seq(first, "INTENT");
        long b = seq(first, "OUTCOME");
        swap(a, b);
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getLong("firstInvalid.seq")).isEqualTo(a);
        } finally {
            swap(a, b);
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void aRowInsertedBehindTheServicesBackIsNamed() throws SQLException {
        String id = java.util.UUID.randomUUID().toString();
        tamper("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,"
                + " requested_at, state) VALUES ('" + id + "', 'V2_TO_V1', 'ds-ghost', 'ghost', 'jwt', 'r', now(), 'PENDING')");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getString("firstInvalid.operationId")).isEqualTo(id);
            assertThat(report.getString("firstInvalid.reason")).contains("no INTENT event");
        } finally {
            tamper("DELETE FROM operation WHERE operation_id = '" + id + "'");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void concurrentWritersLeaveAChainThatVerifies() throws Exception {
        long before = integrity().getLong("checked");
        int writers = 24;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String jwt = Tokens.jwt("parallel-" + i, "operator");
                results.add(pool.submit(() -> AuditApiTest.migrate(jwt, Api.uniqueDatasourceId(), "1", "t")));
            }
            for (Future<String> result : results) {
                assertThat(result.get()).isNotNull();
            }
        } finally {
            pool.shutdownNow();
        }
        JsonPath report = integrity();
        assertThat(report.getBoolean("valid")).isTrue();
        // Each operation's two events, and the AUDIT_ACCESS event of the first integrity check.
        assertThat(report.getLong("checked")).isEqualTo(before + 2L * writers + 1);
    }

    @Test
    void theOfflineVerifierAcceptsAnExportAndRejectsAForgedOne() throws Exception {
        AuditApiTest.migrate(Tokens.jwt("offline-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        // A grant is part of the intent event, and the verifier rebuilds it from the export.
        AuditApiTest.migrate(Tokens.claims("offline-scoped-" + System.nanoTime(), "operator")
                .claim("domo_scopes", java.util.Map.of("accounts", List.of("1", "sales-*")))
                .sign(Tokens.privateKey()), Api.uniqueDatasourceId(), "1", "t");
        String export = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/operations")
                .then().statusCode(200).extract().asString();
        assertThat(export).contains("\"scopes\":{\"accounts\":[\"1\",\"sales-*\"]}");
        java.nio.file.Path file = java.nio.file.Files.createTempFile("operations", ".ndjson");
        java.nio.file.Files.writeString(file, export);
        assertThat(runVerifier(file)).isZero();

        java.nio.file.Files.writeString(file, export.replaceFirst("\"table\":\"t\"", "\"table\":\"forged\""));
        assertThat(runVerifier(file)).isEqualTo(1);
        java.nio.file.Files.writeString(file, export.replaceFirst("\"sales-\\*\"", "\"hr-*\""));
        assertThat(runVerifier(file)).isEqualTo(1);

        // The events export holds every event, auditors' access included: checked as one chain.
        String events = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/events")
                .then().statusCode(200).extract().asString();
        assertThat(events).contains("\"type\":\"AUDIT_ACCESS\"");
        java.nio.file.Files.writeString(file, events);
        assertThat(runVerifier(file)).isZero();
        java.nio.file.Files.writeString(file, events.replace("\\\"principal\\\":\\\"auditor-svc\\\"",
                "\\\"principal\\\":\\\"someone-else\\\""));
        assertThat(runVerifier(file)).isEqualTo(1);
    }

    private static int runVerifier(java.nio.file.Path export) throws Exception {
        Process verifier = new ProcessBuilder("python3", "deploy/audit/verify_export.py", export.toString())
                .redirectErrorStream(true).start();
        String output = new String(verifier.getInputStream().readAllBytes());
        int status = verifier.waitFor();
        System.out.println("verify_export.py: " + output.trim());
        return status;
    }

    private static JsonPath integrity() {
        return Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract().jsonPath();
    }

    private static long seq(String operationId, String kind) throws SQLException {
        try (Connection connection = connect(); Statement sql = connection.createStatement();
                ResultSet row = sql.executeQuery("SELECT seq FROM audit_event WHERE operation_id = '" + operationId
                        + "' AND kind = '" + kind + "'")) {
            row.next();
            return row.getLong(1);
        }
    }

    /** Swaps two events' positions. */
    private static void swap(long a, long b) throws SQLException {
        tamper("UPDATE audit_event SET seq = -1 WHERE seq = " + a,
                "UPDATE audit_event SET seq = " + a + " WHERE seq = " + b,
                "UPDATE audit_event SET seq = " + b + " WHERE seq = -1");
    }

    /** What a superuser can do: switch the triggers off for the session and change rows directly. */
    private static void tamper(String... statements) throws SQLException {
        try (Connection connection = connect(); Statement sql = connection.createStatement()) {
            sql.execute("SET session_replication_role = replica");
            for (String statement : statements) {
                sql.execute(statement);
            }
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(System.getProperty("quarkus.datasource.jdbc.url"), "postgres", "");
    }
}
