package com.domomigrationproxy.audit;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.ledger.Checkpoints;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.HashChain;
import com.domomigrationproxy.ledger.IntegrityReport;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.CheckpointKeyFiles;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OfflineVerifier;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    @Inject
    Ledger ledger;

    @Inject
    Checkpoints checkpoints;

    @Inject
    OperationStore operations;

    @Inject
    ObjectMapper json;

    /** V4's check on audit_event, put back after a test dropped it to tamper as a superuser can. */
    private static final String PAYLOAD_CONSTRAINT = "ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_payload CHECK ("
            + "(kind IN ('INTENT', 'OUTCOME', 'RECONCILIATION', 'REVIEW') AND operation_id IS NOT NULL"
            + " AND payload IS NULL) OR (kind NOT IN ('INTENT', 'OUTCOME', 'RECONCILIATION', 'REVIEW')"
            + " AND operation_id IS NULL AND payload IS NOT NULL))";

    @BeforeEach
    void domoCompletesEverything() {
        DomoWireMock.completesEverything(domo, "T");
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
                    "UPDATE operation SET intent_hash = repeat('0', 64) WHERE operation_id = '" + operationId + "'",
                    "UPDATE operation SET outcome_seq = outcome_seq + 1 WHERE operation_id = '" + operationId + "'",
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

    /**
     * A superuser who also stores the event's original text as its payload (past the constraint that
     * keeps operation events without one) still does not hide the altered row: an operation event's
     * text is always rebuilt from its row.
     */
    @Test
    void aStoredPayloadDoesNotHideAnAlteredOperationRow() throws SQLException {
        String operationId = AuditApiTest.migrate(Tokens.jwt("copy-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "original_table");
        long intentSeq = seq(operationId, "INTENT");
        String original = Api.asAuditor().queryParam("fromSeq", intentSeq).queryParam("toSeq", intentSeq)
                .get("/api/v1/audit/events").then().statusCode(200).extract().path("items[0].payload");
        assertThat(original).contains("original_table");
        String constraint;
        try (Connection connection = connect(); Statement sql = connection.createStatement();
                ResultSet row = sql.executeQuery("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                        + " WHERE conname = 'ck_audit_event_payload'")) {
            row.next();
            constraint = row.getString(1);
        }
        tamper("ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_payload",
                "UPDATE audit_event SET payload = '" + original.replace("'", "''") + "' WHERE seq = " + intentSeq,
                "UPDATE operation SET table_name = 'forged_table' WHERE operation_id = '" + operationId + "'");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getLong("firstInvalid.seq")).isEqualTo(intentSeq);
            assertThat(report.getString("firstInvalid.reason")).contains("altered");
        } finally {
            tamper("UPDATE audit_event SET payload = NULL WHERE seq = " + intentSeq,
                    "UPDATE operation SET table_name = 'original_table' WHERE operation_id = '" + operationId + "'",
                    "ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_payload " + constraint);
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    /**
     * An event about no operation repeats its row's type, subject and time in the payload its hash
     * covers: a superuser who relabels one of them (to hide the event from a filtered lookup, to
     * pin it on someone else, to move it in time) is named by the service and by the offline verifier.
     */
    @Test
    void anEventsTypeSubjectOrTimeChangedBehindTheServicesBackIsNamed() throws Exception {
        Api.asAuditor().queryParam("limit", 1).get("/api/v1/audit/operations").then().statusCode(200);
        long seq = lastSeq("AUDIT_ACCESS", "auditor-svc");
        String payload = payload(seq);
        assertThat(payload).contains("\"subject\":\"auditor-svc\"", "\"recordedAt\":\"");
        String[][] changes = {
            { "kind = 'LATE_OUTCOME'", "kind = 'AUDIT_ACCESS'", "type" },
            { "subject = 'someone-else'", "subject = 'auditor-svc'", "subject" },
            { "recorded_at = recorded_at - interval '1 hour'", "recorded_at = recorded_at + interval '1 hour'",
                "recorded_at" } };
        for (String[] change : changes) {
            tamper("UPDATE audit_event SET " + change[0] + " WHERE seq = " + seq);
            try {
                IntegrityReport report = ledger.verify();
                assertThat(report.valid()).as(change[0]).isFalse();
                assertThat(report.firstInvalid().seq()).isEqualTo(seq);
                assertThat(report.firstInvalid().reason()).contains(change[2], "altered");
                OfflineVerifier.Result offline = verify(exportEvents());
                assertThat(offline.status()).as(offline.output()).isEqualTo(1);
                assertThat(offline.output()).contains("seq " + seq, "altered");
            } finally {
                tamper("UPDATE audit_event SET " + change[1] + " WHERE seq = " + seq);
            }
        }
        // Relabelled as an operation's event (its check constraint dropped first): no operation row, so
        // no text to hash, whatever payload the row still holds.
        tamper("ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_payload",
                "UPDATE audit_event SET kind = 'REVIEW', subject = NULL WHERE seq = " + seq);
        try {
            IntegrityReport report = ledger.verify();
            assertThat(report.valid()).isFalse();
            assertThat(report.firstInvalid().seq()).isEqualTo(seq);
            assertThat(report.firstInvalid().reason()).contains("names no operation");
            OfflineVerifier.Result offline = verify(exportEvents());
            assertThat(offline.status()).as(offline.output()).isEqualTo(1);
            assertThat(offline.output()).contains("seq " + seq);
        } finally {
            tamper("UPDATE audit_event SET kind = 'AUDIT_ACCESS', subject = 'auditor-svc' WHERE seq = " + seq,
                    PAYLOAD_CONSTRAINT);
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * Events written before payloads carried {@code subject} (a PLAN_ event as an earlier release
     * appended it) still verify, and their subject is held to the member it repeated.
     */
    @Test
    void anEarlierReleasesEventIsHeldToTheMemberItsSubjectRepeated() throws Exception {
        String planId = UUID.randomUUID().toString();
        String payload = "{\"event\":\"PLAN_CANCELLED\",\"planId\":\"" + planId + "\",\"state\":\"CANCELLED\"}";
        long seq = appendBehindTheService("PLAN_CANCELLED", planId, payload);
        assertThat(ledger.verify().valid()).isTrue();
        assertThat(verify(exportEvents()).status()).isZero();
        tamper("UPDATE audit_event SET subject = '" + UUID.randomUUID() + "' WHERE seq = " + seq);
        try {
            bothName(seq, "subject");
        } finally {
            tamper("UPDATE audit_event SET subject = '" + planId + "' WHERE seq = " + seq);
        }
        // An operation's id put on an event about none (its check constraint dropped first, as a superuser
        // can): the export would attribute the event to that operation.
        String operationId = AuditApiTest.migrate(Tokens.jwt("attributed-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "t");
        tamper("ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_payload",
                "UPDATE audit_event SET operation_id = '" + operationId + "' WHERE seq = " + seq);
        try {
            bothName(seq, "names an operation");
        } finally {
            tamper("UPDATE audit_event SET operation_id = NULL WHERE seq = " + seq, PAYLOAD_CONSTRAINT);
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /** Every record is checked past the first that fails: a failure that stays hides no later one. */
    @Test
    void aRecordThatFailsForGoodHidesNoLaterOne() throws Exception {
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        long firstSeq = appendBehindTheService("PLAN_CANCELLED", first, "{\"event\":\"PLAN_CANCELLED\",\"subject\":\""
                + first + "\",\"state\":\"CANCELLED\"}");
        long secondSeq = appendBehindTheService("PLAN_CANCELLED", second, "{\"event\":\"PLAN_CANCELLED\",\"subject\":\""
                + second + "\",\"state\":\"CANCELLED\"}");
        tamper("UPDATE audit_event SET subject = 'x' WHERE seq IN (" + firstSeq + ", " + secondSeq + ")");
        try {
            IntegrityReport report = ledger.verify();
            assertThat(report.invalidRecords()).isEqualTo(2);
            assertThat(report.firstInvalid().seq()).isEqualTo(firstSeq);
            assertThat(report.lastInvalid().seq()).isEqualTo(secondSeq);
            // The offline verifier too, past a checkpoint file that fails (not even JSON) as well.
            OfflineVerifier.Result offline = verify(exportEvents(), "--checkpoint",
                    write("garbled-checkpoint", "{not json").toString());
            assertThat(offline.status()).as(offline.output()).isEqualTo(1);
            assertThat(offline.output()).contains("garbled-checkpoint", "not JSON", "seq " + firstSeq + " ",
                    "seq " + secondSeq + " ", "3 check(s) failed");
        } finally {
            tamper("UPDATE audit_event SET subject = '" + first + "' WHERE seq = " + firstSeq,
                    "UPDATE audit_event SET subject = '" + second + "' WHERE seq = " + secondSeq);
        }
        IntegrityReport report = ledger.verify();
        assertThat(report.valid()).isTrue();
        assertThat(report.invalidRecords()).isZero();
        assertThat(report.lastInvalid()).isNull();
    }

    /** The integrity check and the offline verifier both name the event at this seq, for this reason. */
    private void bothName(long seq, String reason) throws IOException {
        IntegrityReport report = ledger.verify();
        assertThat(report.valid()).isFalse();
        assertThat(report.firstInvalid().seq()).isEqualTo(seq);
        assertThat(report.firstInvalid().reason()).contains(reason);
        OfflineVerifier.Result offline = verify(exportEvents());
        assertThat(offline.status()).as(offline.output()).isEqualTo(1);
        assertThat(offline.output()).contains("seq " + seq, reason);
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

    /**
     * Each operation row keeps a copy of its events' links (seq, prev_hash, hash), written by the
     * statement that appends each event; the reads show the copy, and the verifier compares it with
     * the events, so that a copy altered behind the service's back is named like an altered row.
     */
    @Test
    void eachRowKeepsItsEventsLinksAndAnAlteredCopyIsNamed() throws SQLException {
        Operation pending = operations.recordIntent(new OperationIntent(Direction.V2_TO_V1, Api.uniqueDatasourceId(),
                null, null, null, null, "links-" + System.nanoTime(), Instant.now(), "r", "jwt", null, null, null), null);
        UUID id = pending.operationId();
        operations.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "no answer", null, 5));
        assertThat(operations.flagForReview(id, "Domo cannot tell")).isPresent();
        Operation done = operations.recordReconciliation(id, OperationState.COMPLETE, "checked by hand", "auditor")
                .orElseThrow();

        Map<String, Operation.Link> events = new HashMap<>();
        try (Connection connection = connect(); Statement sql = connection.createStatement();
                ResultSet rows = sql.executeQuery("SELECT kind, seq, prev_hash, hash FROM audit_event WHERE operation_id = '"
                        + id + "'")) {
            while (rows.next()) {
                events.put(rows.getString(1), new Operation.Link(rows.getLong(2), rows.getString(3), rows.getString(4)));
            }
        }
        assertThat(events).hasSize(4);
        assertThat(done.chain()).isEqualTo(new Operation.Chain(events.get("INTENT"), events.get("OUTCOME"),
                events.get("RECONCILIATION"), events.get("REVIEW")));
        assertThat(ledger.verify().valid()).isTrue();

        for (String kind : HashChain.OPERATION_EVENTS) {
            String column = kind.toLowerCase(Locale.ROOT) + "_hash";
            tamper("UPDATE operation SET " + column + " = repeat('f', 64) WHERE operation_id = '" + id + "'");
            try {
                IntegrityReport report = ledger.verify();
                assertThat(report.valid()).as(kind).isFalse();
                assertThat(report.firstInvalid().operationId()).isEqualTo(id);
                assertThat(report.firstInvalid().kind()).isEqualTo(kind);
                assertThat(report.firstInvalid().reason()).contains("copy of its " + kind + " link");
            } finally {
                tamper("UPDATE operation SET " + column + " = '" + events.get(kind).hash() + "' WHERE operation_id = '"
                        + id + "'");
            }
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * A PENDING row has no OUTCOME event, so no hash covers its outcome columns: one given Domo's
     * answer by hand (triggers off) read as that answer, with the chain valid (review).
     */
    @Test
    void aPendingRowGivenAnOutcomeBehindTheServicesBackIsNamed() throws SQLException {
        Operation pending = operations.recordIntent(OperationIntent.reversal(Api.uniqueDatasourceId(),
                new Requester("pending-reverser", "jwt", "r-pending", "10.0.0.1", Scopes.UNRESTRICTED)), operation -> {
                });
        String id = pending.operationId().toString();
        tamper("UPDATE operation SET toe = 'DM-FORGED', error_message = 'Migrated OK', upstream_status = 200,"
                + " duration_ms = 812 WHERE operation_id = '" + id + "'");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getString("firstInvalid.operationId")).isEqualTo(id);
            assertThat(report.getString("firstInvalid.kind")).isEqualTo("OUTCOME");
            assertThat(report.getString("firstInvalid.reason")).contains("holds an outcome but has no OUTCOME event");
        } finally {
            tamper("UPDATE operation SET toe = NULL, error_message = NULL, upstream_status = NULL, duration_ms = NULL"
                    + " WHERE operation_id = '" + id + "'");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    /**
     * A row whose scopes no grant can be read from: the integrity check names it, where it answered
     * 503 "cannot be read" for good (the row can never be deleted), and the events stay readable
     * (review).
     */
    @Test
    void aRowWhoseScopesDoNotParseIsNamedAndHidesNothing() throws Exception {
        String id = java.util.UUID.randomUUID().toString();
        tamper("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,"
                + " requested_at, state, completed_at, scopes) VALUES ('" + id + "', 'V2_TO_V1', 'ds-unreadable',"
                + " 'ghost', 'jwt', 'r', now(), 'ABORTED', now(), '{\"x\":[]}')");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getString("firstInvalid.operationId")).isEqualTo(id);
            assertThat(report.getString("firstInvalid.reason")).contains("has scopes that do not parse",
                    "the row was altered");
            Api.asAuditor().queryParam("limit", 1).get("/api/v1/audit/events").then().statusCode(200);
        } finally {
            tamper("DELETE FROM operation WHERE operation_id = '" + id + "'");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();

        // A row with events: they are exported without a payload, and the offline verifier names them.
        String tamperedDatasource = Api.uniqueDatasourceId();
        String operationId = AuditApiTest.migrate(Tokens.jwt("unreadable-" + System.nanoTime(), "operator"),
                tamperedDatasource, "1", "t");
        String scopes = first("SELECT scopes FROM operation WHERE operation_id = '" + operationId + "'");
        tamper("UPDATE operation SET scopes = '{\"x\":[]}' WHERE operation_id = '" + operationId + "'");
        try {
            assertThat(integrity().getString("firstInvalid.operationId")).isEqualTo(operationId);
            OfflineVerifier.Result offline = verify(exportEvents());
            assertThat(offline.status()).as(offline.output()).isEqualTo(1);
            assertThat(offline.output()).contains("could not read this event's operation row",
                    "altered to hold values the service never writes").doesNotContain("not an audit event");
            // A page that would include the row names it and how to read around it; retrying cannot help.
            Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(503)
                    .header("Retry-After", nullValue())
                    .body("type", endsWith(":audit-row-altered"))
                    .body("detail", allOf(containsString(operationId),
                            containsString("/api/v1/audit/integrity")));
            Api.asAuditor().queryParam("datasourceId", "not-" + operationId).get("/api/v1/audit/operations")
                    .then().statusCode(200);
            // So does an export, in either format, when the row comes before its first bytes are sent.
            for (String format : List.of("text/csv", "application/x-ndjson")) {
                Api.asAuditor().accept(format).queryParam("datasourceId", tamperedDatasource)
                        .get("/api/v1/audit/operations").then().statusCode(503)
                        .header("Retry-After", nullValue())
                        .body("type", endsWith(":audit-row-altered"))
                        .body("detail", containsString(operationId));
            }
        } finally {
            tamper("UPDATE operation SET scopes = " + (scopes == null ? "NULL" : "'" + scopes + "'")
                    + " WHERE operation_id = '" + operationId + "'");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();

        // A row deleted: its events are exported without a payload too, and the row is not in the operations
        // export, for the same reason. Named once as what it is, not as a filtered export (evidence review).
        String deleted = AuditApiTest.migrate(Tokens.jwt("deleted-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", "t");
        String backup = "deleted_row_" + System.nanoTime();
        tamper("CREATE TABLE " + backup + " AS SELECT * FROM operation WHERE operation_id = '" + deleted + "'",
                "DELETE FROM operation WHERE operation_id = '" + deleted + "'");
        try {
            Path events = exportEvents();
            Path operationsFile = write("operations", Api.asAuditor().accept("application/x-ndjson")
                    .get("/api/v1/audit/operations").then().statusCode(200).extract().asString());
            OfflineVerifier.Result offline = verify(events, "--operations", operationsFile.toString());
            assertThat(offline.status()).as(offline.output()).isEqualTo(1);
            assertThat(offline.output()).contains("could not read this event's operation row: the row was deleted")
                    .doesNotContain("--operations-subset");
        } finally {
            tamper("INSERT INTO operation SELECT * FROM " + backup, "DROP TABLE " + backup);
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
    void concurrentWritersLeaveAChainThatVerifiesWithTimeFollowingSeq() throws Exception {
        long before = integrity().getLong("checked");
        long fromSeq = Long.parseLong(first("SELECT max(seq) FROM audit_event"));
        int writers = 24;
        int readers = 24;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String jwt = Tokens.jwt("parallel-" + i, "operator");
                results.add(pool.submit(() -> AuditApiTest.migrate(jwt, Api.uniqueDatasourceId(), "1", "t")));
                // Each audit read appends its AUDIT_ACCESS event, which takes its time under the head's lock.
                results.add(pool.submit(() -> Api.asAuditor().get("/api/v1/audit/events?limit=1").then().statusCode(200)
                        .extract().asString()));
            }
            for (Future<String> result : results) {
                assertThat(result.get()).isNotNull();
            }
        } finally {
            pool.shutdownNow();
        }
        JsonPath report = integrity();
        assertThat(report.getBoolean("valid")).isTrue();
        // Each operation's two events, each read's, and the AUDIT_ACCESS event of the first integrity check.
        assertThat(report.getLong("checked")).isEqualTo(before + 2L * writers + readers + 1);
        // Whichever writer took the head, no event is recorded earlier than the one before it.
        assertThat(first("SELECT count(*) FROM (SELECT recorded_at < lag(recorded_at) OVER (ORDER BY seq) AS earlier"
                + " FROM audit_event WHERE seq > " + fromSeq + ") t WHERE earlier")).isEqualTo("0");
        assertThat(first("SELECT count(DISTINCT kind) FROM audit_event WHERE seq > " + fromSeq)).isEqualTo("3");
    }

    /**
     * Defect 4 of issue 10: the verifier knew only operation exports and failed after any
     * reconciliation. It now follows the chain's events whatever their type: here INTENT, OUTCOME,
     * REVIEW, RECONCILIATION and CHECKPOINT, exported after a reconciliation.
     */
    @Test
    void theOfflineVerifierFollowsEveryEventTypeAndRejectsAForgedExport() throws Exception {
        String table = "offline_" + System.nanoTime();
        String migrated = AuditApiTest.migrate(Tokens.jwt("offline-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", table);
        Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201); // one before the newest, at least
        Operation abandoned = operations.recordIntent(OperationIntent.reversal(Api.uniqueDatasourceId(),
                new Requester("offline-reverser", "jwt", "r-offline", "10.0.0.1", Scopes.UNRESTRICTED)), operation -> {
                });
        operations.flagForReview(abandoned.operationId(), "Domo's candidates do not list the datasource");
        operations.recordReconciliation(abandoned.operationId(), OperationState.ABORTED, "checked in Domo by hand",
                "offline-auditor");
        JsonPath signed = Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201).extract().jsonPath();

        String events = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/events").then().statusCode(200)
                .extract().asString();
        String operationsExport = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/operations").then()
                .statusCode(200).extract().asString();
        assertThat(events).contains("\"type\":\"RECONCILIATION\"", "\"type\":\"REVIEW\"", "\"type\":\"CHECKPOINT\"");
        Path eventsFile = write("audit-events", events);
        Path operationsFile = write("operations", operationsExport);

        OfflineVerifier.Result verified = verify(eventsFile, "--operations", operationsFile.toString());
        assertThat(verified.status()).as(verified.output()).isZero();
        assertThat(verified.output()).startsWith("VERIFIED").contains("the operations export agrees");
        // What a signature covers is said apart from what is only linked (anyone can link events made up).
        assertThat(verified.output()).contains("which the newest checkpoint the export reaches signs");
        // The checkpoints name the chain they sign: another deployment's origin does not pass, whatever the key.
        String origin = verified.output().replaceAll("(?s).*signed checkpoints of origin '([^']+)'.*", "$1");
        assertThat(verify(eventsFile, "--origin", origin).status()).isZero();
        OfflineVerifier.Result otherOrigin = verify(eventsFile, "--origin", "staging-" + origin);
        assertThat(otherOrigin.status()).isEqualTo(1);
        assertThat(otherOrigin.output()).contains("signed for origin '" + origin + "'", "another deployment",
                "--former-origin");
        // After PROXY_AUDIT_ORIGIN was changed, the checkpoints signed under the old one still hold once named,
        // beside one of the new origin signed after them.
        String renamedOrigin = "renamed-" + origin;
        OfflineVerifier.Result renamed = verify(eventsFile, "--origin", renamedOrigin, "--former-origin", origin,
                "--checkpoint", resigned(signed.getString("text"), signed.getString("keyId"), renamedOrigin).toString());
        assertThat(renamed.status()).as(renamed.output()).isZero();
        assertThat(renamed.output()).contains("of former origin '" + origin + "' hold");
        // Not alone: a deployment sharing the key that signs under the old name would pass for this trail.
        OfflineVerifier.Result formerAlone = verify(eventsFile, "--origin", renamedOrigin, "--former-origin", origin);
        assertThat(formerAlone.status()).isEqualTo(1);
        assertThat(formerAlone.output()).contains("none is of the current origin");
        // Nor when one of the new origin comes before them: an origin is former only from when it was changed.
        JsonPath oldest = oldestCheckpointFile(signed.getString("keyId"));
        assertThat(oldest.getLong("seq")).isLessThan(signed.getLong("seq"));
        OfflineVerifier.Result before = verify(eventsFile, "--origin", renamedOrigin, "--former-origin", origin,
                "--checkpoint", resigned(oldest.getString("text"), oldest.getString("keyId"), renamedOrigin).toString());
        assertThat(before.status()).isEqualTo(1);
        assertThat(before.output()).contains("after the first of the current origin (seq " + oldest.getLong("seq") + ")");

        OfflineVerifier.Result forged = verify(write("forged-events", events.replace(table, "forged")));
        assertThat(forged.status()).isEqualTo(1);
        assertThat(forged.output()).contains("(INTENT)", "the record was altered");

        OfflineVerifier.Result forgedRow = verify(eventsFile, "--operations",
                write("forged-operations", operationsExport.replace(table, "forged")).toString());
        assertThat(forgedRow.status()).isEqualTo(1);
        assertThat(forgedRow.output()).contains("differs from operation");

        OfflineVerifier.Result unsigned = OfflineVerifier.run(eventsFile.toString(), "--public-key",
                CheckpointKeyFiles.STRANGER_PUBLIC_KEY.toString(), "--checkpoints-dir",
                CheckpointKeyFiles.checkpointDirectory().toString());
        assertThat(unsigned.status()).isEqualTo(1);
        assertThat(unsigned.output()).contains("no --public-key with that id");

        // A row that says more than the chain: reconciled (the application role may write that) with no
        // RECONCILIATION event.
        String unreconciled = withOperation(operationsExport, abandoned.operationId(),
                operation -> ((ObjectNode) operation.get("chain")).remove("reconciliation"));
        OfflineVerifier.Result withoutEvent = verify(eventsFile, "--operations",
                write("unreconciled-operations", unreconciled).toString());
        assertThat(withoutEvent.status()).as(withoutEvent.output()).isEqualTo(1);
        assertThat(withoutEvent.output()).contains(abandoned.operationId().toString(), "no RECONCILIATION event");

        // A row that holds an outcome no OUTCOME event hashed: a PENDING row given Domo's answer by hand.
        String answered = withOperation(operationsExport, abandoned.operationId(),
                operation -> operation.put("toe", "DM-FORGED").put("upstreamStatus", 200));
        OfflineVerifier.Result outcomeWithoutEvent = verify(eventsFile, "--operations",
                write("answered-operations", answered).toString());
        assertThat(outcomeWithoutEvent.status()).as(outcomeWithoutEvent.output()).isEqualTo(1);
        assertThat(outcomeWithoutEvent.output()).contains(abandoned.operationId().toString(),
                "holds an outcome (toe, upstreamStatus) but has no OUTCOME event");

        // A row whose link names a seq no event of the chain has (the application role may insert such a row):
        // named, where it was passed over as outside the export.
        String unlinked = withOperation(operationsExport, abandoned.operationId(),
                operation -> ((ObjectNode) operation.get("chain").get("intent")).put("seq", 0));
        OfflineVerifier.Result nowhere = verify(eventsFile, "--operations", write("unlinked-operations", unlinked).toString());
        assertThat(nowhere.status()).as(nowhere.output()).isEqualTo(1);
        assertThat(nowhere.output()).contains(abandoned.operationId().toString(), "names seq 0, which no event");

        // A row whose copy of a link's prevHash was edited (the service's integrity check compares it too).
        String relinked = withOperation(operationsExport, abandoned.operationId(),
                operation -> ((ObjectNode) operation.get("chain").get("intent")).put("prevHash", "0".repeat(64)));
        OfflineVerifier.Result otherPrevious = verify(eventsFile, "--operations",
                write("relinked-operations", relinked).toString());
        assertThat(otherPrevious.status()).as(otherPrevious.output()).isEqualTo(1);
        assertThat(otherPrevious.output()).contains("the operations export puts the INTENT event of "
                + abandoned.operationId());

        // A row rolled back to before its outcome, its OUTCOME link dropped with it: the event nobody links is
        // named, where only the links the rows give were checked and the export "agreed".
        String rolledBack = withOperation(operationsExport, UUID.fromString(migrated), operation -> {
            for (String field : List.of("toe", "startTime", "endTime", "errorMessage", "upstreamStatus", "durationMs",
                    "completedAt")) {
                operation.putNull(field);
            }
            operation.put("state", "PENDING");
            ((ObjectNode) operation.get("chain")).putNull("outcome");
        });
        OfflineVerifier.Result notLinked = verify(eventsFile, "--operations",
                write("rolled-back-operations", rolledBack).toString());
        assertThat(notLinked.status()).as(notLinked.output()).isEqualTo(1);
        assertThat(notLinked.output()).contains("(OUTCOME): operation " + migrated
                + "'s row in the operations export does not link this event");
        // An operation's line removed: named, unless the export is said to be filtered, when it is counted.
        String withoutLine = operationsExport.lines().filter(line -> !line.contains(migrated))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        Path withoutLineFile = write("without-line-operations", withoutLine);
        OfflineVerifier.Result lineRemoved = verify(eventsFile, "--operations", withoutLineFile.toString());
        assertThat(lineRemoved.status()).as(lineRemoved.output()).isEqualTo(1);
        assertThat(lineRemoved.output()).contains("1 operation(s) with events in the events export are not in the"
                + " operations export (the first: " + migrated);
        OfflineVerifier.Result subset = verify(eventsFile, "--operations", withoutLineFile.toString(),
                "--operations-subset");
        assertThat(subset.status()).as(subset.output()).isZero();
        assertThat(subset.output()).contains("the operations export agrees (except 1 operations of the events"
                + " export, not in it");

        // Input of a shape the service never exports is named, not answered with a Python traceback.
        OfflineVerifier.Result garbled = verify(eventsFile, "--operations", write("garbled-operations",
                "{\"operationId\":\"x\",\"state\":\"PENDING\",\"chain\":{\"intent\":[1]}}\nnot json\n").toString());
        assertThat(garbled.status()).as(garbled.output()).isEqualTo(1);
        assertThat(garbled.output()).startsWith("FAILED: operations line 1").doesNotContain("Traceback");
        OfflineVerifier.Result keyWithoutX = OfflineVerifier.run(eventsFile.toString(), "--public-key",
                write("key-without-x", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}").toString(), "--checkpoints-dir",
                CheckpointKeyFiles.checkpointDirectory().toString());
        assertThat(keyWithoutX.status()).as(keyWithoutX.output()).isEqualTo(2);
        assertThat(keyWithoutX.output()).startsWith("UNUSABLE INPUT").doesNotContain("Traceback");

        // The chain's first events removed, the rest anchored by the checkpoint signed after them: only an
        // export asked to start there (--from-seq) may start inside the chain.
        List<String> lines = events.lines().toList();
        int checkpointLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("\"type\":\"CHECKPOINT\"")) {
                checkpointLine = i;
            }
        }
        String tail = String.join("\n", lines.subList(checkpointLine, lines.size())) + "\n";
        long tailSeq = json.readTree(lines.get(checkpointLine)).path("seq").asLong();
        OfflineVerifier.Result headless = verify(write("headless-events", tail));
        assertThat(headless.status()).as(headless.output()).isEqualTo(1);
        assertThat(headless.output()).contains("does not start with the chain's first event");
        OfflineVerifier.Result asked = verify(write("range-events", tail), "--from-seq", Long.toString(tailSeq));
        assertThat(asked.status()).as(asked.output()).isZero();
        assertThat(asked.output()).contains("seq " + tailSeq + " to ");
        // With the whole operations export, the rows whose events come before the range are said not checked.
        OfflineVerifier.Result askedWithRows = verify(write("range-events", tail), "--from-seq", Long.toString(tailSeq),
                "--operations", operationsFile.toString());
        assertThat(askedWithRows.status()).as(askedWithRows.output()).isZero();
        assertThat(askedWithRows.output()).containsPattern("except [1-9][0-9]* of its events, before seq " + tailSeq
                + ": not in the events export, not checked");
        // A range whose first event was made to follow the empty chain, every hash after it recomputed, with
        // no checkpoint inside it and those before it given: its start is anchored by none of them.
        List<String> after = lines.subList(checkpointLine + 1, lines.size());
        assertThat(after).as("events after the last checkpoint (the export's own access at least)").isNotEmpty();
        long afterSeq = json.readTree(after.get(0)).path("seq").asLong();
        StringBuilder rechained = new StringBuilder();
        String previous = "0".repeat(64);
        for (String line : after) {
            ObjectNode event = (ObjectNode) json.readTree(line);
            event.put("prevHash", previous);
            previous = Sha256.hex(previous + "\n" + event.path("payload").asText());
            rechained.append(json.writeValueAsString(event.put("hash", previous))).append('\n');
        }
        Path earlier = Files.createTempDirectory("earlier-checkpoints");
        try (var files = Files.list(CheckpointKeyFiles.checkpointDirectory())) {
            for (Path file : files.filter(name -> name.toString().endsWith(".json")).toList()) {
                if (Long.parseLong(json.readTree(file.toFile()).path("text").asText().split("\n")[1]) < afterSeq) {
                    Files.copy(file, earlier.resolve(file.getFileName()));
                }
            }
        }
        try {
            OfflineVerifier.Result forgedRange = OfflineVerifier.run(write("forged-range", rechained.toString()).toString(),
                    "--public-key", CheckpointKeyFiles.SIGNING_PUBLIC_KEY.toString(), "--checkpoints-dir",
                    earlier.toString(), "--from-seq", Long.toString(afterSeq));
            assertThat(forgedRange.status()).as(forgedRange.output()).isEqualTo(1);
            assertThat(forgedRange.output()).contains("no checkpoint at seq " + (afterSeq - 1) + " anchors");
        } finally {
            try (var files = Files.list(earlier)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(earlier);
        }

        // A checkpoint signed after the export was taken: a whole export is short of it (the checkpoints come
        // first), but one asked to end where this one does (--to-seq, a range) is not.
        long lastSeq = json.readTree(lines.get(lines.size() - 1)).path("seq").asLong();
        Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201);
        OfflineVerifier.Result outrun = verify(eventsFile);
        assertThat(outrun.status()).as(outrun.output()).isEqualTo(1);
        assertThat(outrun.output()).contains("are missing", "take the checkpoints first, then the export");
        OfflineVerifier.Result range = verify(eventsFile, "--to-seq", Long.toString(lastSeq));
        assertThat(range.status()).as(range.output()).isZero();
        // A range that ends before every checkpoint it is given has nothing signed over it: not verified.
        int firstCheckpoint = 0;
        while (!lines.get(firstCheckpoint).contains("\"type\":\"CHECKPOINT\"")) {
            firstCheckpoint++;
        }
        long beforeIt = json.readTree(lines.get(firstCheckpoint - 1)).path("seq").asLong();
        Path onlyLater = Files.createTempDirectory("later-checkpoints");
        try (var files = Files.list(CheckpointKeyFiles.checkpointDirectory())) {
            Path newest = files.max(java.util.Comparator.comparing(Path::toString)).orElseThrow();
            Files.copy(newest, onlyLater.resolve(newest.getFileName()));
        }
        OfflineVerifier.Result unsignedRange = OfflineVerifier.run(write("unsigned-range",
                String.join("\n", lines.subList(0, firstCheckpoint)) + "\n").toString(), "--public-key",
                CheckpointKeyFiles.SIGNING_PUBLIC_KEY.toString(), "--checkpoints-dir", onlyLater.toString(),
                "--to-seq", Long.toString(beforeIt));
        assertThat(unsignedRange.status()).as(unsignedRange.output()).isEqualTo(1);
        assertThat(unsignedRange.output()).contains("no checkpoint signed seq " + beforeIt + " or before");
    }

    /** A grant is part of the intent event, and auditors' own access interleaves: both verify offline. */
    @Test
    void scopedIntentsAndAuditorsAccessVerifyOffline() throws Exception {
        AuditApiTest.migrate(Tokens.claims("offline-scoped-" + System.nanoTime(), "operator")
                .claim("domo_scopes", java.util.Map.of("accounts", List.of("1", "sales-*")))
                .sign(Tokens.privateKey()), Api.uniqueDatasourceId(), "1", "t");
        String operationsExport = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/operations")
                .then().statusCode(200).extract().asString();
        assertThat(operationsExport).contains("\"scopes\":{\"accounts\":[\"1\",\"sales-*\"]}");
        String events = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/events")
                .then().statusCode(200).extract().asString();
        assertThat(events).contains("\"type\":\"AUDIT_ACCESS\"");
        Path eventsFile = write("audit-events", events);

        OfflineVerifier.Result verified = verify(eventsFile, "--operations", write("operations", operationsExport).toString());
        assertThat(verified.status()).as(verified.output()).isZero();
        OfflineVerifier.Result forgedGrant = verify(eventsFile, "--operations",
                write("forged-operations", operationsExport.replaceFirst("\"sales-\\*\"", "\"hr-*\"")).toString());
        assertThat(forgedGrant.status()).isEqualTo(1);
        OfflineVerifier.Result forgedAccess = verify(write("forged-events", events.replace(
                "\\\"principal\\\":\\\"auditor-svc\\\"", "\\\"principal\\\":\\\"someone-else\\\"")));
        assertThat(forgedAccess.status()).isEqualTo(1);
    }

    /**
     * A CHECKPOINT event appended behind the service's back (the application role may insert events),
     * linked and hashed correctly but signed by no trusted key, or without its text or its signature:
     * both verifiers name it (one without its text made every later integrity check a 500).
     */
    @Test
    void aCheckpointEventNotSignedByATrustedKeyIsNamed() throws Exception {
        JsonPath genuine = Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201).extract().jsonPath();
        String keyId = genuine.getString("keyId");
        for (String forged : new String[] { "a signature of zeros", "no text", "a null text", "no signature",
                "a lone surrogate in its text", "JSON nested deeper than a parser's stack" }) {
            String saved = "saved_head_" + System.nanoTime();
            PostgresAdmin.tamper("CREATE TABLE " + saved + " AS SELECT * FROM audit_chain_head");
            java.util.Map<String, Object> members = new java.util.LinkedHashMap<>(java.util.Map.of("event", "CHECKPOINT",
                    "origin", genuine.getString("origin"), "seq", genuine.getLong("seq"), "hash",
                    genuine.getString("hash"), "issuedAt", genuine.getString("issuedAt"), "keyId", keyId, "text",
                    genuine.getString("text"), "signature",
                    java.util.Base64.getEncoder().encodeToString(new byte[64])));
            switch (forged) {
                case "no text" -> members.remove("text");
                case "no signature" -> members.remove("signature");
                case "a null text" -> members.put("text", null);
                case "a lone surrogate in its text" -> members.put("text", "SURROGATE");
                case "JSON nested deeper than a parser's stack" -> members.put("note", "NESTED");
                default -> { }
            }
            // Both last ones stopped the offline verifier before any check: an unencodable text, a
            // parser's recursion (checkpoint review). Both are named now, as the service names them.
            String payload = json.writeValueAsString(members).replace("\"SURROGATE\"", "\"\\ud800\"")
                    .replace("\"NESTED\"", "[".repeat(100_000) + "]".repeat(100_000));
            long seq = appendBehindTheService("CHECKPOINT", keyId, payload);
            try {
                IntegrityReport report = ledger.verify();
                // A payload nested past Jackson's limit is not read as a JSON object: named in the chain too.
                assertThat(report.chainValid()).as("linked and hashed as the chain's own events are")
                        .isEqualTo(!forged.startsWith("JSON nested"));
                assertThat(report.checkpointsValid()).as(forged).isFalse();
                assertThat(report.firstInvalidCheckpoint().source()).isEqualTo("CHECKPOINT event seq " + seq);
                assertThat(integrity().getBoolean("checkpointsValid")).as(forged).isFalse();
                OfflineVerifier.Result offline = verify(exportEvents());
                assertThat(offline.status()).as(offline.output()).isEqualTo(1);
                assertThat(offline.output()).contains("CHECKPOINT event seq " + seq);
            } finally {
                PostgresAdmin.tamper("DELETE FROM audit_event WHERE seq >= " + seq,
                        "UPDATE audit_chain_head h SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash FROM " + saved
                                + " s",
                        "DROP TABLE " + saved);
            }
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * The attack the hash chain alone cannot see: a superuser edits a row and recomputes every later
     * hash and the head. The database-only check passes; the checkpoints, stored or filed, and the
     * offline verifier name the checkpoint whose signed hash the chain no longer has.
     */
    @Test
    void aSuperuserWhoRewritesARowAndRecomputesTheChainIsCaughtByTheCheckpoints() throws Exception {
        String table = "genuine_" + System.nanoTime();
        String victim = AuditApiTest.migrate(Tokens.jwt("rewrite-" + System.nanoTime(), "operator"),
                Api.uniqueDatasourceId(), "1", table);
        long from = seq(victim, "INTENT");
        long signed = Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201).extract().jsonPath()
                .getLong("seq");
        AuditApiTest.migrate(Tokens.jwt("rewrite-after-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        String saved = "saved_" + System.nanoTime();

        PostgresAdmin.tamper("CREATE TABLE " + saved + "_events AS SELECT seq, prev_hash, hash FROM audit_event WHERE seq >= " + from,
                "CREATE TABLE " + saved + "_head AS SELECT * FROM audit_chain_head");
        try {
            PostgresAdmin.tamper("UPDATE operation SET table_name = 'forged' WHERE operation_id = '" + victim + "'");
            recomputeChainFrom(from);

            IntegrityReport report = ledger.verify();
            assertThat(report.chainValid()).as("the database alone is fooled").isTrue();
            assertThat(report.valid()).isFalse();
            assertThat(report.checkpointsValid()).isFalse();
            assertThat(report.firstInvalidCheckpoint().seq()).isEqualTo(signed);
            assertThat(report.firstInvalidCheckpoint().source()).isEqualTo("database");
            assertThat(report.firstInvalidCheckpoint().reason()).contains("recomputed");

            OfflineVerifier.Result offline = verify(exportEvents());
            assertThat(offline.status()).isEqualTo(1);
            assertThat(offline.output()).contains("seq " + signed + " ", "recomputed");

            // Removing the stored checkpoints does not help: the newest file outside the database still tells.
            PostgresAdmin.tamper("CREATE TABLE " + saved + "_checkpoints AS SELECT * FROM audit_checkpoint WHERE seq >= " + from,
                    "DELETE FROM audit_checkpoint WHERE seq >= " + from);
            try {
                IntegrityReport withoutStored = ledger.verify();
                assertThat(withoutStored.checkpointsValid()).isFalse();
                assertThat(withoutStored.firstInvalidCheckpoint().seq()).isEqualTo(signed);
                assertThat(withoutStored.firstInvalidCheckpoint().source()).startsWith("file checkpoint-");
                // Nor does waiting for the next checkpoint: none is signed over the rewritten chain.
                refusesToSignOver(signed);
            } finally {
                PostgresAdmin.tamper("INSERT INTO audit_checkpoint OVERRIDING SYSTEM VALUE SELECT * FROM " + saved + "_checkpoints",
                        "DROP TABLE " + saved + "_checkpoints");
            }
        } finally {
            PostgresAdmin.tamper("UPDATE operation SET table_name = '" + table + "' WHERE operation_id = '" + victim + "'",
                    "UPDATE audit_event e SET prev_hash = s.prev_hash, hash = s.hash FROM " + saved + "_events s WHERE e.seq = s.seq",
                    "UPDATE audit_chain_head h SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash FROM " + saved + "_head s",
                    "DROP TABLE " + saved + "_events", "DROP TABLE " + saved + "_head");
            PostgresAdmin.tamper(copyLinksToRowsFrom(from).toArray(String[]::new));
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * The other attack: a superuser cuts the newest events off (here an operation and the
     * checkpoint's own event) and rewinds the head. The chain verifies; the checkpoint that signed
     * beyond the new end does not, and the offline verifier says which records are missing.
     */
    @Test
    void aSuperuserWhoCutsTheNewestEventsOffIsCaughtByTheCheckpoints() throws Exception {
        AuditApiTest.migrate(Tokens.jwt("cut-before-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        String victim = AuditApiTest.migrate(Tokens.jwt("cut-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(),
                "1", "t");
        long from = seq(victim, "INTENT");
        long signed = Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201).extract().jsonPath()
                .getLong("seq");
        assertThat(signed).isGreaterThan(from);
        String saved = "saved_" + System.nanoTime();

        PostgresAdmin.tamper("CREATE TABLE " + saved + "_events AS SELECT * FROM audit_event WHERE seq >= " + from,
                "CREATE TABLE " + saved + "_operation AS SELECT * FROM operation WHERE operation_id = '" + victim + "'",
                "CREATE TABLE " + saved + "_head AS SELECT * FROM audit_chain_head",
                "DELETE FROM audit_event WHERE seq >= " + from,
                "DELETE FROM operation WHERE operation_id = '" + victim + "'",
                "UPDATE audit_chain_head h SET seq = e.seq, prev_hash = e.prev_hash, hash = e.hash FROM audit_event e"
                        + " WHERE e.seq = " + (from - 1));
        try {
            IntegrityReport report = ledger.verify();
            assertThat(report.chainValid()).as("the database alone is fooled").isTrue();
            assertThat(report.checkpointsValid()).isFalse();
            assertThat(report.firstInvalidCheckpoint().seq()).isEqualTo(signed);
            assertThat(report.firstInvalidCheckpoint().reason()).contains("cut off");

            OfflineVerifier.Result offline = verify(exportEvents());
            assertThat(offline.status()).isEqualTo(1);
            assertThat(offline.output()).contains("ends at seq " + (from - 1), "signed seq " + signed, "missing");

            PostgresAdmin.tamper("CREATE TABLE " + saved + "_checkpoints AS SELECT * FROM audit_checkpoint WHERE seq >= " + from,
                    "DELETE FROM audit_checkpoint WHERE seq >= " + from);
            try {
                IntegrityReport withoutStored = ledger.verify();
                assertThat(withoutStored.checkpointsValid()).isFalse();
                assertThat(withoutStored.firstInvalidCheckpoint().source()).startsWith("file checkpoint-");
                assertThat(withoutStored.firstInvalidCheckpoint().reason()).contains("cut off");
                refusesToSignOver(signed);
            } finally {
                PostgresAdmin.tamper("INSERT INTO audit_checkpoint OVERRIDING SYSTEM VALUE SELECT * FROM " + saved + "_checkpoints",
                        "DROP TABLE " + saved + "_checkpoints");
            }
        } finally {
            PostgresAdmin.tamper("INSERT INTO operation SELECT * FROM " + saved + "_operation",
                    "INSERT INTO audit_event SELECT * FROM " + saved + "_events",
                    "UPDATE audit_chain_head h SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash FROM " + saved + "_head s",
                    "DROP TABLE " + saved + "_events", "DROP TABLE " + saved + "_operation", "DROP TABLE " + saved + "_head");
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * The head alone moved back (the events left in place): nothing can be appended, so every audit
     * read and every operation is refused (fails closed), and the answer and the log say why
     * instead of blaming the database's health.
     */
    @Test
    void aHeadMovedBackAloneStopsEveryAppendAndIsNamed() throws Exception {
        AuditApiTest.migrate(Tokens.jwt("head-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        String saved = "saved_" + System.nanoTime() + "_head";
        PostgresAdmin.tamper("CREATE TABLE " + saved + " AS SELECT * FROM audit_chain_head",
                "UPDATE audit_chain_head h SET seq = e.seq, prev_hash = e.prev_hash, hash = e.hash FROM audit_event e"
                        + " WHERE e.seq = h.seq - 1");
        try {
            Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(503)
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"));
            Api.asOperator().contentType("application/json")
                    .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                    .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(503);
            assertThat(Files.readAllLines(Path.of("target", "quarkus-test.log")))
                    .anyMatch(line -> line.contains("ERROR") && line.contains("head (audit_chain_head) is behind its last event"));
        } finally {
            PostgresAdmin.tamper("UPDATE audit_chain_head h SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash FROM "
                    + saved + " s", "DROP TABLE " + saved);
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * Only files named as the service names them count as checkpoints, and each must carry its own
     * checkpoint: a file that sorts after them all by another name is ignored (it hid the newest
     * checkpoint, or blocked signing when it was no checkpoint), and an older checkpoint copied
     * under a newer name, which would hold the chain only to that older point, is named.
     */
    @Test
    void onlyCheckpointFilesNamedAfterTheirCheckpointCount() throws Exception {
        com.domomigrationproxy.ledger.Checkpoint older = checkpoints.signNow();
        AuditApiTest.migrate(Tokens.jwt("copied-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        com.domomigrationproxy.ledger.Checkpoint newer = checkpoints.signNow();
        Path directory = CheckpointKeyFiles.checkpointDirectory();
        Path other = directory.resolve("checkpoint-latest.json");
        Path copied = directory.resolve(String.format("checkpoint-%020d-%013d-%s.json", newer.seq() + 1_000_000,
                newer.issuedAt().toEpochMilli(), older.keyId()));
        try {
            Files.writeString(other, "not a checkpoint");
            assertThat(ledger.verify().valid()).isTrue();
            checkpoints.signNow();

            Files.copy(directory.resolve(Checkpoints.fileName(older)), copied);
            IntegrityReport report = ledger.verify();
            assertThat(report.checkpointsValid()).isFalse();
            assertThat(report.firstInvalidCheckpoint().reason()).contains("not named after its checkpoint");
            assertThatThrownBy(checkpoints::signNow).isInstanceOfSatisfying(ProblemException.class, refused -> {
                assertThat(refused.type()).isEqualTo(ProblemType.CHAIN_ALTERED);
                assertThat(refused.detail()).contains(copied.getFileName().toString());
            });
        } finally {
            Files.deleteIfExists(other);
            Files.deleteIfExists(copied);
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * A checkpoint signed with a trusted key for another trail (a deployment sharing the key, or
     * one that renamed PROXY_AUDIT_ORIGIN) says nothing about this chain: the integrity check names
     * it, as the offline verifier refuses a second origin.
     */
    @Test
    void aCheckpointOfAnotherTrailIsNamedEvenWhenItsKeyIsTrusted() throws Exception {
        String origin = Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201).extract()
                .path("origin");
        long id = checkpointSignedFor("another-trail");
        try {
            IntegrityReport report = ledger.verify();
            assertThat(report.checkpointsValid()).isFalse();
            assertThat(report.firstInvalidCheckpoint().reason()).contains("another-trail", origin,
                    "PROXY_AUDIT_FORMER_ORIGINS");
        } finally {
            tamper("DELETE FROM audit_checkpoint WHERE id = " + id);
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * Signs a checkpoint now, then stores a copy of it signed with the same trusted key for {@code origin}
     * instead (as a superuser would, or as the trail signed it before its origin was changed); its id.
     */
    static long checkpointSignedFor(String origin) throws SQLException {
        JsonPath genuine = Api.asAuditor().post("/api/v1/audit/checkpoints").then().statusCode(201).extract().jsonPath();
        String text = genuine.getString("text").replaceFirst(
                "^" + java.util.regex.Pattern.quote(genuine.getString("origin")) + "\n", origin + "\n");
        assertThat(text).startsWith(origin + "\n");
        String signature = CheckpointKeyFiles.sign(CheckpointKeyFiles.SIGNING_KEY, text);
        long id = Long.parseLong(first("SELECT max(id) FROM audit_checkpoint")) + 1_000_000;
        tamper("INSERT INTO audit_checkpoint (id, origin, seq, hash, issued_at, key_id, text, signature)"
                + " OVERRIDING SYSTEM VALUE VALUES (" + id + ", '" + origin + "', " + genuine.getLong("seq") + ", '"
                + genuine.getString("hash") + "', '" + genuine.getString("issuedAt") + "', '" + genuine.getString("keyId")
                + "', '" + text.replace("'", "''") + "', '" + signature + "')");
        return id;
    }

    /**
     * A superuser removes an event that came after the newest checkpoint (here an auditor's read)
     * and links the rest again: every hash verifies and the checkpoint's seq still has its hash, but
     * seq numbers are gap-free since V4, so the gap names it, as the offline verifier does, and no
     * checkpoint is signed over it.
     */
    @Test
    void aSuperuserWhoRemovesAnEventAfterTheNewestCheckpointAndLinksTheRestAgainIsCaught() throws Exception {
        checkpoints.signNow();
        String reader = "gap-reader-" + System.nanoTime();
        given().header("Authorization", "Bearer " + Tokens.jwt(reader, "auditor"))
                .get("/api/v1/audit/operations?limit=1").then().statusCode(200);
        long removed = org.awaitility.Awaitility.await().until(() -> maxSeq("AUDIT_ACCESS", reader), seq -> seq > 0);
        AuditApiTest.migrate(Tokens.jwt("gap-after-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        String saved = "saved_" + System.nanoTime();

        tamper("CREATE TABLE " + saved + "_events AS SELECT * FROM audit_event WHERE seq >= " + removed,
                "CREATE TABLE " + saved + "_head AS SELECT * FROM audit_chain_head",
                "DELETE FROM audit_event WHERE seq = " + removed,
                "UPDATE audit_event SET prev_hash = (SELECT hash FROM audit_event WHERE seq = " + (removed - 1)
                        + ") WHERE seq = " + (removed + 1));
        try {
            recomputeChainFrom(removed + 1);

            IntegrityReport report = ledger.verify();
            assertThat(report.valid()).isFalse();
            assertThat(report.checkpointsValid()).as("the checkpoint's own seq still has its hash").isTrue();
            assertThat(report.firstInvalid().seq()).isEqualTo(removed + 1);
            assertThat(report.firstInvalid().reason()).contains("seq " + removed + " to " + removed + " are missing");
            assertThatThrownBy(checkpoints::signNow).isInstanceOfSatisfying(ProblemException.class, refused -> {
                assertThat(refused.type()).isEqualTo(ProblemType.CHAIN_ALTERED);
                assertThat(refused.detail()).contains("are missing");
            });
            OfflineVerifier.Result offline = verify(exportEvents());
            assertThat(offline.status()).isEqualTo(1);
            assertThat(offline.output()).contains("seq " + removed + " to " + removed + " are missing");
        } finally {
            tamper("INSERT INTO audit_event SELECT * FROM " + saved + "_events WHERE seq = " + removed,
                    "UPDATE audit_event e SET prev_hash = s.prev_hash, hash = s.hash FROM " + saved + "_events s WHERE e.seq = s.seq",
                    "UPDATE audit_chain_head h SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash FROM " + saved + "_head s",
                    "DROP TABLE " + saved + "_events", "DROP TABLE " + saved + "_head");
            tamper(copyLinksToRowsFrom(removed).toArray(String[]::new));
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * On a new trail an auditor may sign before anything is recorded: a checkpoint of the empty
     * chain (seq 0). The next one must still be signed; it was refused as a chain that "no longer
     * has seq 0", and the periodic job failed from then on. Here the trail is emptied for the test
     * and put back after it.
     */
    @Test
    void aCheckpointOfTheEmptyChainIsFollowedByTheNextOne() throws Exception {
        String saved = "saved_" + System.nanoTime();
        Path away = Files.createTempDirectory("checkpoints-away");
        Path directory = CheckpointKeyFiles.checkpointDirectory();
        tamper("CREATE TABLE " + saved + "_events AS SELECT * FROM audit_event",
                "CREATE TABLE " + saved + "_head AS SELECT * FROM audit_chain_head",
                "CREATE TABLE " + saved + "_checkpoints AS SELECT * FROM audit_checkpoint",
                "DELETE FROM audit_event", "DELETE FROM audit_checkpoint",
                "UPDATE audit_chain_head SET seq = 0, prev_hash = '" + HashChain.GENESIS + "', hash = '"
                        + HashChain.GENESIS + "'");
        List<Path> moved = new ArrayList<>();
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                moved.add(Files.move(file, away.resolve(file.getFileName())));
            }
        }
        try {
            assertThat(checkpoints.signNow().seq()).isZero();
            // The first checkpoint's own CHECKPOINT event is seq 1: the next checkpoint covers it.
            assertThat(checkpoints.signNow().seq()).isEqualTo(1);
            // The operation rows are still there without their events, so only the checkpoints verify.
            assertThat(ledger.verify().checkpointsValid()).isTrue();
        } finally {
            try (var files = Files.list(directory)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            for (Path file : moved) {
                Files.move(file, directory.resolve(file.getFileName()));
            }
            Files.delete(away);
            tamper("DELETE FROM audit_event", "DELETE FROM audit_checkpoint",
                    "INSERT INTO audit_event SELECT * FROM " + saved + "_events",
                    "INSERT INTO audit_checkpoint OVERRIDING SYSTEM VALUE SELECT * FROM " + saved + "_checkpoints",
                    "UPDATE audit_chain_head h SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash FROM " + saved + "_head s",
                    "DROP TABLE " + saved + "_events", "DROP TABLE " + saved + "_head", "DROP TABLE " + saved + "_checkpoints");
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * The head and the last event are read in one statement: read in two, an event committed in
     * between made a busy chain look altered (409 chain-altered, an ERROR from the periodic job).
     */
    @Test
    void checkpointsSignedWhileEventsAreAppendedAreNeverTakenForAnAlteredChain() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        List<Future<?>> reading = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                // Each read of the trail appends its AUDIT_ACCESS event.
                reading.add(readers.submit(() -> {
                    while (!done.get()) {
                        Api.asAuditor().get("/api/v1/audit/operations?limit=1").then().statusCode(200);
                    }
                }));
            }
            for (int i = 0; i < 150; i++) {
                checkpoints.signNow();
            }
        } finally {
            done.set(true);
            readers.shutdown();
        }
        for (Future<?> read : reading) {
            read.get();
        }
        assertThat(ledger.verify().valid()).isTrue();
    }

    /**
     * The service signs no checkpoint over a chain that lost what the newest checkpoint signed (409
     * chain-altered, no file written), so the newest file keeps telling and the check keeps failing.
     * Asked of the bean, not the API, whose every call would append its access to the altered chain.
     */
    private void refusesToSignOver(long signed) {
        assertThatThrownBy(checkpoints::signNow).isInstanceOfSatisfying(ProblemException.class, refused -> {
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.type()).isEqualTo(ProblemType.CHAIN_ALTERED);
            assertThat(refused.detail()).contains("seq " + signed);
        });
        IntegrityReport after = ledger.verify();
        assertThat(after.checkpointsValid()).isFalse();
        assertThat(after.firstInvalidCheckpoint().seq()).isEqualTo(signed);
    }

    /** What the superuser does after editing: every hash from {@code from} on, and the head, recomputed. */
    private void recomputeChainFrom(long from) {
        List<ChainEvent> events = new ArrayList<>();
        ledger.streamEvents(new EventQuery(Set.of(), null, from, null), events::add);
        List<String> statements = new ArrayList<>();
        String previous = events.get(0).prevHash();
        String hash = previous;
        for (ChainEvent event : events) {
            hash = HashChain.hash(previous, event.payload());
            statements.add("UPDATE audit_event SET prev_hash = '" + previous + "', hash = '" + hash + "' WHERE seq = "
                    + event.seq());
            statements.add("UPDATE audit_chain_head SET seq = " + event.seq() + ", prev_hash = '" + previous
                    + "', hash = '" + hash + "'");
            previous = hash;
        }
        statements.addAll(copyLinksToRowsFrom(from));
        PostgresAdmin.tamper(statements.toArray(String[]::new));
    }

    /** What a thorough forger does after rewriting events: the rows' copies of their links follow. */
    private static List<String> copyLinksToRowsFrom(long from) {
        return HashChain.OPERATION_EVENTS.stream().map(kind -> {
            String link = kind.toLowerCase(Locale.ROOT);
            return "UPDATE operation o SET " + link + "_prev_hash = e.prev_hash, " + link + "_hash = e.hash"
                    + " FROM audit_event e WHERE e.operation_id = o.operation_id AND e.kind = '" + kind
                    + "' AND e.seq >= " + from;
        }).toList();
    }

    /**
     * The events export as GET /api/v1/audit/events writes it, taken without an HTTP request so that
     * nothing is appended to the chain while it is being tampered with.
     */
    private Path exportEvents() throws IOException {
        Path file = Files.createTempFile("audit-events", ".ndjson");
        file.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(file)) {
            OperationExport.writeEvents(out, OperationExport.jsonLines(json),
                    sink -> ledger.streamEvents(EventQuery.ALL, sink), new java.util.concurrent.atomic.LongAdder());
        }
        return file;
    }

    /** An operations export with one operation's line changed as {@code change} says. */
    private String withOperation(String operationsExport, UUID operationId,
            java.util.function.Consumer<ObjectNode> change) throws IOException {
        StringBuilder changed = new StringBuilder();
        for (String line : operationsExport.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            ObjectNode operation =
                    (ObjectNode) json.readTree(line);
            if (operationId.toString().equals(operation.path("operationId").asText())) {
                change.accept(operation);
            }
            changed.append(json.writeValueAsString(operation)).append('\n');
        }
        return changed.toString();
    }

    /** A checkpoint's text signed again with the trusted key for another origin, as a file for --checkpoint. */
    private static Path resigned(String text, String keyId, String origin) throws Exception {
        String renamedText = origin + text.substring(text.indexOf('\n'));
        String signature = CheckpointKeyFiles.sign(CheckpointKeyFiles.SIGNING_KEY, renamedText);
        return write("resigned", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                java.util.Map.of("text", renamedText, "signature", signature, "keyId", keyId)));
    }

    /** The checkpoint of the lowest seq the service wrote (PROXY_AUDIT_CHECKPOINT_DIR) with this key. */
    private static JsonPath oldestCheckpointFile(String keyId) throws IOException {
        java.util.function.Predicate<Path> written = file -> file.getFileName().toString()
                .matches("checkpoint-[0-9]{20}-.*\\.json");
        try (var files = Files.list(CheckpointKeyFiles.checkpointDirectory())) {
            return files.filter(written).map(file -> {
                try {
                    return new JsonPath(Files.readString(file));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).filter(checkpoint -> keyId.equals(checkpoint.getString("keyId")))
                    .min(java.util.Comparator.comparingLong(checkpoint -> checkpoint.getLong("seq"))).orElseThrow();
        }
    }

    private static OfflineVerifier.Result verify(Path events, String... more) {
        List<String> arguments = new ArrayList<>(List.of(events.toString(), "--public-key",
                CheckpointKeyFiles.SIGNING_PUBLIC_KEY.toString(), "--checkpoints-dir",
                CheckpointKeyFiles.checkpointDirectory().toString()));
        arguments.addAll(List.of(more));
        return OfflineVerifier.run(arguments.toArray(String[]::new));
    }

    private static Path write(String name, String content) throws IOException {
        Path file = Files.createTempFile(name, ".ndjson");
        file.toFile().deleteOnExit();
        Files.writeString(file, content);
        return file;
    }

    /**
     * Appends an event about no operation as anyone with INSERT on the trail could: linked to the head
     * and hashed as the service would, without the service. Returns its seq.
     */
    private static long appendBehindTheService(String kind, String subject, String payload) throws SQLException {
        try (Connection connection = connect();
                java.sql.PreparedStatement append = connection.prepareStatement("""
                        WITH head AS (
                            UPDATE audit_chain_head
                               SET seq = seq + 1, prev_hash = hash,
                                   hash = encode(sha256(convert_to(hash || chr(10) || ?, 'UTF8')), 'hex')
                             WHERE id = 1
                         RETURNING seq, prev_hash, hash)
                        INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
                        SELECT seq, NULL, ?, ?, ?, prev_hash, hash FROM head
                        RETURNING seq""")) {
            append.setString(1, payload);
            append.setString(2, kind);
            append.setString(3, subject);
            append.setString(4, payload);
            try (ResultSet row = append.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private static JsonPath integrity() {
        return Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract().jsonPath();
    }

    private static long lastSeq(String kind, String subject) throws SQLException {
        String seq = first("SELECT max(seq) FROM audit_event WHERE kind = '" + kind + "' AND subject = '" + subject + "'");
        assertThat(seq).as("a %s event of %s", kind, subject).isNotNull();
        return Long.parseLong(seq);
    }

    private static long maxSeq(String kind, String subject) throws SQLException {
        String seq = first("SELECT coalesce(max(seq), 0) FROM audit_event WHERE kind = '" + kind + "' AND subject = '"
                + subject + "'");
        return Long.parseLong(seq);
    }

    private static String payload(long seq) throws SQLException {
        return first("SELECT payload FROM audit_event WHERE seq = " + seq);
    }

    private static long seq(String operationId, String kind) throws SQLException {
        return Long.parseLong(first("SELECT seq FROM audit_event WHERE operation_id = '" + operationId
                + "' AND kind = '" + kind + "'"));
    }

    /** The first column of the query's first row, as the superuser reads it. */
    static String first(String query) throws SQLException {
        try (Connection connection = connect(); Statement sql = connection.createStatement();
                ResultSet row = sql.executeQuery(query)) {
            assertThat(row.next()).as(query).isTrue();
            return row.getString(1);
        }
    }

    /** Swaps two events' positions. */
    private static void swap(long a, long b) throws SQLException {
        tamper("UPDATE audit_event SET seq = -1 WHERE seq = " + a,
                "UPDATE audit_event SET seq = " + a + " WHERE seq = " + b,
                "UPDATE audit_event SET seq = " + b + " WHERE seq = -1");
    }

    /** What a superuser can do: switch the triggers off for the session and change rows directly. */
    static void tamper(String... statements) throws SQLException {
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
