package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;

/**
 * The CSV export copies the database's text (OperationField, OperationText) while the NDJSON
 * export writes the Operations the API reads: every CSV cell must be the NDJSON value, written by
 * the CSV rules (text quoted with quotes doubled, formula cells guarded, numbers bare, null empty),
 * for rows of every shape: written by the service, and written behind its back with what the
 * service never writes itself (five-digit and BC years, scopes not in canonical form, a note
 * without a reconciliation). And an export whose client goes away leaves no COPY running.
 */
@QuarkusTest
class CsvExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The CSV columns, in order, and where each value is in an NDJSON line. */
    private static final String[][] COLUMNS = {
            { "operationId", "/operationId" }, { "direction", "/direction" }, { "datasourceId", "/datasourceId" },
            { "accountId", "/accountId" }, { "catalog", "/catalog" }, { "schema", "/schema" }, { "table", "/table" },
            { "state", "/state" }, { "toe", "/toe" }, { "startTime", "/startTime" }, { "endTime", "/endTime" },
            { "errorMessage", "/errorMessage" }, { "requestedBy", "/requestedBy" }, { "requestedAt", "/requestedAt" },
            { "completedAt", "/completedAt" }, { "requestId", "/requestId" }, { "upstreamStatus", "/upstreamStatus" },
            { "authMethod", "/authMethod" }, { "clientAddress", "/clientAddress" }, { "durationMs", "/durationMs" },
            { "reconciledState", "/reconciliation/state" }, { "reconciledAt", "/reconciliation/at" },
            { "reconciliationNote", "/reconciliation/note" }, { "intentSeq", "/chain/intent/seq" },
            { "intentPrevHash", "/chain/intent/prevHash" }, { "intentHash", "/chain/intent/hash" },
            { "outcomeSeq", "/chain/outcome/seq" }, { "outcomePrevHash", "/chain/outcome/prevHash" },
            { "outcomeHash", "/chain/outcome/hash" }, { "reconciliationSeq", "/chain/reconciliation/seq" },
            { "reconciliationPrevHash", "/chain/reconciliation/prevHash" },
            { "reconciliationHash", "/chain/reconciliation/hash" }, { "planId", "/planId" },
            { "reconciledBy", "/reconciliation/by" }, { "reviewReason", "/review/reason" },
            { "reviewFlaggedAt", "/review/flaggedAt" }, { "reviewSeq", "/chain/review/seq" },
            { "reviewPrevHash", "/chain/review/prevHash" }, { "reviewHash", "/chain/review/hash" },
            { "scopes", "/scopes" } };

    private static final String INSERT = """
            INSERT INTO operation (operation_id, direction, datasource_id, account_id, catalog_name, schema_name,
                table_name, requested_by, auth_method, request_id, client_address, requested_at, state, toe,
                start_time, end_time, error_message, upstream_status, duration_ms, completed_at, plan_id, scopes,
                reconciled_state, reconciled_at, reconciliation_note, reconciled_by, review_reason, review_flagged_at,
                intent_seq, intent_prev_hash, intent_hash, outcome_seq, outcome_prev_hash, outcome_hash,
                reconciliation_seq, reconciliation_prev_hash, reconciliation_hash,
                review_seq, review_prev_hash, review_hash)
            VALUES """;

    @InjectDomo
    WireMockServer domo;

    @Inject
    OperationStore operations;

    @BeforeEach
    void domoCompletesEverything() {
        DomoWireMock.completesEverything(domo, "=T");
    }

    @Test
    void everyCsvCellIsTheNdjsonValue() throws JsonProcessingException {
        String who = "csv-" + UUID.randomUUID();
        AuditApiTest.migrate(Tokens.jwt(who, "operator"), Api.uniqueDatasourceId(), "1", "written by the service");
        List<String> inserted = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                UUID.randomUUID().toString());
        String hash = "'" + "0123456789abcdef".repeat(4) + "'";
        PostgresAdmin.tamper(INSERT + String.join(",\n", List.of(
                row(inserted.get(0), "'V1_TO_V2'", "'7'", "'My \"Cat\", Zoë ☃'", "'+s'", "'@t'", who,
                        "'2026-11-30 17:15:44.5+00'", "'COMPLETE'", "'-1'", "E'\\tstart'", "E'\\rend'",
                        "E'line 1\\r\\nline 2 \"quoted\"'", "502", "0", "'2026-11-30 17:15:45.123456+00'",
                        "'" + UUID.randomUUID() + "'", "'{ \"datasources\" : [], \"accounts\" : [\"7\"] }'",
                        "NULL, NULL, NULL, NULL, NULL, NULL",
                        "1, " + hash + ", " + hash + ", 2, " + hash + ", " + hash + ", NULL, NULL, NULL, NULL, NULL, NULL"),
                row(inserted.get(1), "'V1_TO_V2'", "'8'", "'  =c'", "'s'", "'t'", who, "'2026-11-30 17:15:44+00'",
                        "'UNKNOWN'", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "'2026-11-30 17:17:00.000001+00'",
                        "NULL", "'{}'",
                        "'COMPLETE', '10000-01-01 00:00:00+00', 'checked, \"twice\"', 'an auditor', 'why',"
                                + " '0999-12-31 23:59:59.1234+00'",
                        "3, " + hash + ", " + hash + ", 4, " + hash + ", " + hash + ", 5, " + hash + ", " + hash
                                + ", 6, " + hash + ", " + hash),
                row(inserted.get(2), "'V2_TO_V1'", "NULL", "NULL", "NULL", "NULL", who,
                        "'0044-03-15 12:00:00.25+00 BC'", "'FAILED'", "''", "NULL", "NULL", "'Domo said no'", "500",
                        "1234567890123", "'0044-03-15 12:00:01+00 BC'", "NULL", "NULL",
                        "NULL, NULL, 'a note with no reconciliation', NULL, NULL, NULL",
                        "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"))));
        try {
            String ndjson = export("application/x-ndjson", who);
            List<String> expected = new ArrayList<>();
            expected.add(String.join(",", List.of(COLUMNS).stream().map(column -> column[0]).toList()));
            for (String line : ndjson.split("\n")) {
                JsonNode operation = JSON.readTree(line);
                expected.add(String.join(",", List.of(COLUMNS).stream().map(column -> cell(operation.at(column[1])))
                        .toList()));
            }
            assertThat(expected).hasSize(5);
            assertThat(export("text/csv", who)).isEqualTo(String.join("\r\n", expected) + "\r\n");
            assertThat(export("text/csv", "nobody-" + UUID.randomUUID())).isEqualTo(expected.get(0) + "\r\n");
        } finally {
            PostgresAdmin.tamper("DELETE FROM operation WHERE operation_id IN ('" + String.join("', '", inserted) + "')");
        }
    }

    @Test
    void anExportWhoseClientGoesAwayCancelsItsCopyAndLeavesTheConnectionUsable() throws Exception {
        String who = "csv-gone-" + UUID.randomUUID();
        int rows = 20_000; // about 20 MB: PostgreSQL is still sending when the client goes
        PostgresAdmin.tamper("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method,"
                + " request_id, requested_at, state, completed_at, error_message) SELECT gen_random_uuid(), 'V2_TO_V1',"
                + " 'ds-gone-' || g, '" + who + "', 'jwt', 'r', now() - g * interval '1 ms', 'FAILED', now(),"
                + " repeat('x', 1000) FROM generate_series(1, " + rows + ") g");
        try {
            OutputStream goesAway = new OutputStream() {
                private long written;

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] { (byte) b }, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    written += length;
                    if (written > 256 * 1024) {
                        throw new IOException("the client went away");
                    }
                }
            };
            LongAdder written = new LongAdder();
            OperationQuery query = new OperationQuery(null, null, null, null, who, null, null, null, false);
            assertThatThrownBy(() -> OperationExport.writeOperations(OperationExport.CSV, goesAway, null, operations,
                    query, written)).isInstanceOf(IOException.class).hasMessage("the client went away");
            assertThat(written.sum()).isPositive().isLessThan(rows);

            long deadline = System.nanoTime() + 10_000_000_000L;
            while (copiesRunning() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(copiesRunning()).as("COPYs still running").isZero();
            assertThat(export("text/csv", who).split("\r\n")).hasSize(rows + 1);
        } finally {
            PostgresAdmin.tamper("DELETE FROM operation WHERE requested_by = '" + who + "'");
        }
    }

    private static int copiesRunning() throws SQLException {
        try (Connection connection = DriverManager.getConnection(System.getProperty("quarkus.datasource.jdbc.url"),
                "postgres", ""); Statement sql = connection.createStatement();
                ResultSet count = sql.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                        + " AND query LIKE 'COPY (%'")) {
            count.next();
            return count.getInt(1);
        }
    }

    private static String row(String id, String direction, String account, String catalog, String schema, String table,
            String who, String requestedAt, String state, String toe, String start, String end, String error,
            String status, String duration, String completedAt, String planId, String scopes, String reconciliationAndReview,
            String links) {
        return "('" + id + "', " + direction + ", '" + Api.uniqueDatasourceId() + "', " + account + ", " + catalog + ", "
                + schema + ", " + table + ", '" + who + "', 'jwt', 'req-" + id + "', '::1', " + requestedAt + ", "
                + state + ", " + toe + ", " + start + ", " + end + ", " + error + ", " + status + ", " + duration + ", "
                + completedAt + ", " + planId + ", " + scopes + ", " + reconciliationAndReview + ", " + links + ")";
    }

    private static String export(String format, String who) {
        return Api.asAuditor().accept(format).queryParam("requestedBy", who).get("/api/v1/audit/operations").then()
                .statusCode(200).extract().asString();
    }

    /** The CSV rules, on the NDJSON value: the export's own code is not used to check it. */
    private static String cell(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return "";
        }
        if (value.isNumber()) {
            return value.asText();
        }
        String text = value.isObject() ? Scopes.parse(value).toJson() : value.asText();
        // Spreadsheets skip leading spaces before they look for a formula.
        String start = text.replaceFirst("^ +", "");
        String guard = !start.isEmpty() && "=+-@\t\r".indexOf(start.charAt(0)) >= 0 ? "'" : "";
        return "\"" + guard + text.replace("\"", "\"\"") + "\"";
    }
}
