package com.domomigrationproxy.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.PrometheusScrape;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;

/**
 * Auditors' own access is on the record: every audit-API request leaves an AUDIT_ACCESS event in
 * the hash chain (two for a streamed export), queryable like any event, and the chain still
 * verifies; refused attempts are recorded (beyond a window's allowance, counted in a summary), logged
 * and counted; an access that cannot be recorded is not
 * answered.
 */
@QuarkusTest
class AuditAccessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALTER = "ALTER DATABASE " + PostgresAdmin.DATABASE;

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    /** {@code %test.proxy.audit.refused-recorded}. */
    private static final int ALLOWANCE = 5;

    @Inject
    RefusedAccess refused;

    @Inject
    DataSource dataSource;

    private final String auditor = "auditor-" + UUID.randomUUID();

    @BeforeEach
    void domoCompletes() {
        DomoWireMock.completesEverything(domo, "T");
    }

    @AfterEach
    void mendTheDatabase() {
        PostgresAdmin.run(ALTER + " RESET default_transaction_read_only", PostgresAdmin.DROP_SESSIONS);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> given().get(readiness.toString()).then().statusCode(200));
    }

    @Test
    void everyAuditApiRequestLeavesAnEventAndTheChainStillVerifies() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String jwt = Tokens.jwt("audited-" + UUID.randomUUID(), "operator");
        String operationId = AuditApiTest.migrate(jwt, datasource, "1", "t");
        AuditApiTest.migrate(jwt, Api.uniqueDatasourceId(), "1", "t");

        as().queryParam("datasourceId", datasource).get("/api/v1/audit/operations").then().statusCode(200);
        as().get("/api/v1/audit/operations/" + operationId).then().statusCode(200);
        as().queryParam("type", "INTENT").queryParam("limit", "2").get("/api/v1/audit/events").then().statusCode(200);
        as().get("/api/v1/audit/principals").then().statusCode(200);
        as().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
        // With a line separator, the 8-bit start of an ANSI sequence and a C1 line end, none of which reaches
        // the event or the log line whole.
        as().queryParam("state", "SIDE\u2028WAYS\u009b\u0085").queryParam("api_key", "a-secret-in-the-wrong-place")
                .get("/api/v1/audit/operations").then().statusCode(400);
        String longest = "\uD83D\uDE00".repeat(255); // 255 characters, 510 UTF-16 units
        as().queryParam("requestedBy", longest).get("/api/v1/audit/operations").then().statusCode(200);

        List<JsonNode> events = accessEvents();
        assertThat(events).extracting(event -> event.get("operation").asText()).containsExactly("listOperations",
                "getOperation", "listAuditEvents", "listPrincipals", "verifyIntegrity", "listOperations",
                "listOperations");
        JsonNode query = events.get(0);
        assertThat(query.get("principal").asText()).isEqualTo(auditor);
        assertThat(query.get("authMethod").asText()).isEqualTo("jwt");
        assertThat(query.get("clientAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(query.get("requestId").asText()).isNotBlank();
        assertThat(query.get("query")).isEqualTo(JSON.createObjectNode().put("datasourceId", datasource));
        assertThat(query.get("rows").asInt()).isEqualTo(1);
        assertThat(query.get("status").asInt()).isEqualTo(200);
        assertThat(query.get("path").asText()).isEqualTo("/api/v1/audit/operations");
        assertThat(events.get(2).get("query")).isEqualTo(JSON.createObjectNode().put("limit", "2").put("type", "INTENT"));
        assertThat(events.get(2).get("rows").asInt()).isEqualTo(2);
        assertThat(events.get(3).get("rows").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(events.get(5).get("status").asInt()).isEqualTo(400);
        assertThat(events.get(5).get("rows").asInt()).isZero();
        // Only the operation's own parameters keep their values: the chain is forever.
        assertThat(events.get(5).get("query")).isEqualTo(JSON.createObjectNode().put("api_key", "(not recorded)")
                .put("state", "SIDE?WAYS??"));
        assertThat(events.toString()).doesNotContain("a-secret-in-the-wrong-place");
        // Recorded whole: the filter is as long as a filter may be, counted in characters.
        assertThat(events.get(6).get("query")).isEqualTo(JSON.createObjectNode().put("requestedBy", longest));

        // The events are part of the chain and of the events export (which holds its own export-started
        // event: it is written before the first row is read), and the chain verifies with them.
        String export = as().accept("application/x-ndjson").queryParam("type", "AUDIT_ACCESS")
                .queryParam("subject", auditor).get("/api/v1/audit/events").then().statusCode(200).extract().asString();
        assertThat(export.lines()).hasSize(8);
        assertThat(JSON.readTree(JSON.readTree(export.lines().toList().get(7)).get("payload").asText()).get("phase")
                .asText()).isEqualTo("export-started");
        as().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void anExportIsRecordedBeforeItsFirstByteAndAgainWithItsRowCount() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String jwt = Tokens.jwt("exported-" + UUID.randomUUID(), "operator");
        AuditApiTest.migrate(jwt, datasource, "1", "t");
        AuditApiTest.migrate(jwt, Api.uniqueDatasourceId(), "1", "t");

        String csv = as().accept("text/csv").queryParam("requestedBy", "no-one-" + UUID.randomUUID())
                .get("/api/v1/audit/operations").then().statusCode(200).extract().asString();
        assertThat(csv.lines()).hasSize(1);
        String ndjson = as().accept("application/x-ndjson").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200).extract().asString();
        assertThat(ndjson.lines()).hasSize(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> accessEvents().size() == 4);
        List<JsonNode> events = accessEvents();
        assertThat(events).extracting(event -> event.get("phase").asText()).containsExactly("export-started",
                "export-finished", "export-started", "export-finished");
        assertThat(events.get(0).get("format").asText()).isEqualTo("text/csv");
        assertThat(events.get(0).has("rows")).isFalse();
        assertThat(events.get(1).get("rows").asInt()).isZero();
        assertThat(events.get(2).get("format").asText()).isEqualTo("application/x-ndjson");
        assertThat(events.get(3).get("rows").asInt()).isEqualTo(1);
        assertThat(events.get(3).get("query")).isEqualTo(JSON.createObjectNode().put("datasourceId", datasource));

        // A HEAD of the same export: its headers, no row sent, and on the record as such.
        as().accept("application/x-ndjson").queryParam("datasourceId", datasource).head("/api/v1/audit/operations")
                .then().statusCode(200).contentType("application/x-ndjson");
        await().atMost(Duration.ofSeconds(5)).until(() -> accessEvents().size() == 5);
        JsonNode head = accessEvents().get(4);
        assertThat(head.get("method").asText()).isEqualTo("HEAD");
        assertThat(head.get("phase").asText()).isEqualTo("answered");
        assertThat(head.get("rows").asInt()).isZero();
    }

    @Test
    void refusedAttemptsAreRecordedLoggedAndCounted() throws Exception {
        refused.endWindow();
        PrometheusScrape before = PrometheusScrape.of(metrics);
        String reader = "refused-" + UUID.randomUUID();
        String forbidden = given().auth().oauth2(Tokens.jwt(reader, "reader")).queryParam("state", "FAILED")
                .get("/api/v1/audit/operations").then().statusCode(403).extract().header("X-Request-Id");
        String anonymous = given().get("/api/v1/audit/integrity").then().statusCode(401).extract()
                .header("X-Request-Id");
        String badKey = given().header("X-API-Key", "not-a-key").queryParam("state", "FAILED")
                .get("/api/v1/audit/principals").then().statusCode(401).extract().header("X-Request-Id");

        PrometheusScrape after = PrometheusScrape.of(metrics);
        assertThat(after.value("audit_access_denied_total", Map.of("operation", "listOperations", "status", "403"))
                - before.value("audit_access_denied_total", Map.of("operation", "listOperations", "status", "403")))
                .isEqualTo(1.0);
        assertThat(after.value("audit_access_denied_total", Map.of("operation", "verifyIntegrity", "status", "401"))
                - before.value("audit_access_denied_total", Map.of("operation", "verifyIntegrity", "status", "401")))
                .isEqualTo(1.0);
        assertThat(after.value("audit_access_denied_total", Map.of("operation", "listPrincipals", "status", "401"))
                - before.value("audit_access_denied_total", Map.of("operation", "listPrincipals", "status", "401")))
                .isEqualTo(1.0);
        assertThat(Files.readString(Path.of("target", "quarkus-test.log")))
                .contains("Audit access refused (403): GET /api/v1/audit/operations from 127.0.0.1")
                .contains("Audit access refused (401): GET /api/v1/audit/integrity from 127.0.0.1");

        // Each is an event of the chain: who when identified, else which kind of credential (never its value).
        JsonNode identified = await().atMost(Duration.ofSeconds(5)).until(() -> refusal(forbidden), e -> e != null);
        assertThat(identified.get("subject").asText()).isEqualTo(reader);
        assertThat(identified.get("principal").asText()).isEqualTo(reader);
        assertThat(identified.get("authMethod").asText()).isEqualTo("jwt");
        assertThat(identified.get("phase").asText()).isEqualTo("refused");
        assertThat(identified.get("status").asInt()).isEqualTo(403);
        assertThat(identified.get("operation").asText()).isEqualTo("listOperations");
        assertThat(identified.get("query")).isEqualTo(JSON.createObjectNode().put("state", "FAILED"));
        assertThat(identified.has("rows")).isFalse();
        JsonNode unidentified = await().atMost(Duration.ofSeconds(5)).until(() -> refusal(anonymous), e -> e != null);
        assertThat(unidentified.get("subject").isNull()).isTrue();
        assertThat(unidentified.has("principal")).isFalse();
        assertThat(unidentified.get("credential").asText()).isEqualTo("none");
        assertThat(unidentified.get("clientAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(unidentified.get("status").asInt()).isEqualTo(401);
        JsonNode keyed = await().atMost(Duration.ofSeconds(5)).until(() -> refusal(badKey), e -> e != null);
        assertThat(keyed.get("credential").asText()).isEqualTo("x-api-key");
        // Nobody identified: nothing of the query goes into the chain.
        assertThat(keyed.has("query")).isFalse();
        assertThat(keyed.toString()).doesNotContain("not-a-key");
        as().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    /**
     * A refused request that carries a body is refused like one without: Quarkus REST reads a body
     * before it checks the caller, and answered such a 401 where this recorder did not see it.
     */
    @Test
    void refusedAttemptsWithABodyAreRecordedLoggedAndCountedToo() throws Exception {
        refused.endWindow();
        PrometheusScrape before = PrometheusScrape.of(metrics);
        String anonymous = given().contentType("application/json").body("{}").post("/api/v1/audit/checkpoints")
                .then().statusCode(401).extract().header("X-Request-Id");
        String badKey = given().header("X-API-Key", "not-a-key").contentType("application/json").body("{}")
                .post("/api/v1/audit/checkpoints").then().statusCode(401).extract().header("X-Request-Id");
        String reader = "refused-body-" + UUID.randomUUID();
        String forbidden = given().auth().oauth2(Tokens.jwt(reader, "reader")).contentType("application/json")
                .body("{}").post("/api/v1/audit/checkpoints").then().statusCode(403).extract().header("X-Request-Id");

        PrometheusScrape after = PrometheusScrape.of(metrics);
        Map<String, String> unauthenticated = Map.of("operation", "signCheckpoint", "status", "401");
        assertThat(after.value("audit_access_denied_total", unauthenticated)
                - before.value("audit_access_denied_total", unauthenticated)).isEqualTo(2.0);
        Map<String, String> wrongRole = Map.of("operation", "signCheckpoint", "status", "403");
        assertThat(after.value("audit_access_denied_total", wrongRole)
                - before.value("audit_access_denied_total", wrongRole)).isEqualTo(1.0);
        String log = Files.readString(Path.of("target", "quarkus-test.log"));
        for (String requestId : List.of(anonymous, badKey, forbidden)) {
            assertThat(log).containsPattern("Audit access refused \\(40[13]\\): POST /api/v1/audit/checkpoints from"
                    + " 127.0.0.1, request " + requestId);
            JsonNode event = await().atMost(Duration.ofSeconds(5)).until(() -> refusal(requestId), e -> e != null);
            assertThat(event.get("phase").asText()).isEqualTo("refused");
            assertThat(event.get("operation").asText()).isEqualTo("signCheckpoint");
        }
        assertThat(refusal(anonymous).get("credential").asText()).isEqualTo("none");
        assertThat(refusal(badKey).get("credential").asText()).isEqualTo("x-api-key");
        assertThat(refusal(forbidden).get("principal").asText()).isEqualTo(reader);
        refused.endWindow();
    }

    /**
     * Audit-API requests that no resource served (a path it does not have or not in canonical form,
     * a method or media type it does not answer) read nothing, and are on the record as refusals
     * all the same.
     */
    @Test
    void requestsAnsweredBeforeAnyResourceServedThemAreRecordedToo() throws Exception {
        refused.endWindow();
        String notAllowed = as().delete("/api/v1/audit/operations").then().statusCode(405).extract()
                .header("X-Request-Id");
        String notAcceptable = as().accept("text/html").get("/api/v1/audit/integrity").then().statusCode(406).extract()
                .header("X-Request-Id");
        String notFound = as().get("/api/v1/audit/no-such-thing").then().statusCode(404).extract()
                .header("X-Request-Id");
        // Refused before routing, for a path that is not canonical (it would be routed to the operations).
        String notCanonical = as().urlEncodingEnabled(false).get("/api/v1/audit/%6Fperations").then().statusCode(400)
                .extract().header("X-Request-Id");
        for (Object[] expected : new Object[][] { { notAllowed, 405, "unmatched", "DELETE" },
                { notAcceptable, 406, "verifyIntegrity", "GET" }, { notFound, 404, "unmatched", "GET" },
                { notCanonical, 400, "unmatched", "GET" } }) {
            JsonNode event = await().atMost(Duration.ofSeconds(5)).until(() -> refusal((String) expected[0]),
                    e -> e != null);
            assertThat(event.get("phase").asText()).isEqualTo("refused");
            assertThat(event.get("status").asInt()).isEqualTo(expected[1]);
            assertThat(event.get("operation").asText()).isEqualTo(expected[2]);
            assertThat(event.get("method").asText()).isEqualTo(expected[3]);
            // Answered before the caller's identity was asked for: the kind of credential, as for a 401.
            assertThat(event.get("credential").asText()).isEqualTo("bearer");
        }
        refused.endWindow();
        as().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void refusalsBeyondTheWindowsAllowanceAreCountedInOneSummaryPerSource() throws Exception {
        refused.endWindow();
        // Callers nobody identifies use up their own allowance, not that of known principals.
        for (int i = 0; i < ALLOWANCE + 2; i++) {
            given().get("/api/v1/audit/integrity").then().statusCode(401);
        }
        String reader = "refused-often-" + UUID.randomUUID();
        String jwt = Tokens.jwt(reader, "operator");
        for (int i = 0; i < ALLOWANCE + 3; i++) {
            given().auth().oauth2(jwt).get("/api/v1/audit/integrity").then().statusCode(403);
        }
        given().auth().oauth2(jwt).get("/api/v1/audit/principals").then().statusCode(403);
        await().atMost(Duration.ofSeconds(5)).until(() -> eventsOf(reader).size() == ALLOWANCE);
        assertThat(eventsOf(reader)).extracting(event -> event.get("phase").asText()).containsOnly("refused");

        refused.endWindow();
        List<JsonNode> events = eventsOf(reader);
        assertThat(events).hasSize(ALLOWANCE + 1);
        JsonNode summary = events.get(ALLOWANCE);
        assertThat(summary.get("phase").asText()).isEqualTo("refused-summary");
        assertThat(summary.get("principal").asText()).isEqualTo(reader);
        assertThat(summary.get("refused").asInt()).isEqualTo(4);
        assertThat(summary.get("statuses")).isEqualTo(JSON.createObjectNode().put("403", 4));
        assertThat(Instant.parse(summary.get("firstAt").asText()))
                .isBeforeOrEqualTo(Instant.parse(summary.get("lastAt").asText()));
        JsonNode anonymous = latestSummaryFrom("127.0.0.1");
        assertThat(anonymous.get("subject").isNull()).isTrue();
        assertThat(anonymous.get("refused").asInt()).isEqualTo(2);
        assertThat(anonymous.get("statuses")).isEqualTo(JSON.createObjectNode().put("401", 2));

        // A new window allows again.
        given().auth().oauth2(jwt).get("/api/v1/audit/integrity").then().statusCode(403);
        await().atMost(Duration.ofSeconds(5)).until(() -> eventsOf(reader).size() == ALLOWANCE + 2);
        refused.endWindow();
        assertThat(eventsOf(reader)).hasSize(ALLOWANCE + 2);
    }

    @Test
    void anAccessThatCannotBeRecordedIsNotAnswered() {
        // Reads still work on a read-only database; appending to the chain does not.
        PostgresAdmin.run(ALTER + " SET default_transaction_read_only = on", PostgresAdmin.DROP_SESSIONS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> as().get("/api/v1/audit/principals").then()
                .statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"))
                .body("items", equalTo(null)));
        as().accept("application/x-ndjson").get("/api/v1/audit/operations").then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"));
    }

    /**
     * In the console the same refusal is a page, as every console failure is, and an export's file
     * name goes with the export: the browser saved the API's problem JSON as a .csv file (review).
     */
    @Test
    void aConsoleReadThatCannotBeRecordedIsAPageNotAnExport() {
        com.domomigrationproxy.support.ConsoleSessions.Session session =
                com.domomigrationproxy.support.ConsoleSessions.signIn(com.domomigrationproxy.support.ConsoleSessions.AUDITOR);
        session.request().get("/console/history").then().statusCode(200);
        PostgresAdmin.run(ALTER + " SET default_transaction_read_only = on", PostgresAdmin.DROP_SESSIONS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> session.request().get("/console/history").then()
                .statusCode(503).contentType(org.hamcrest.Matchers.startsWith("text/html"))
                .body(org.hamcrest.Matchers.containsString("cannot record this access")));
        session.request().get("/console/history/export.csv").then().statusCode(503)
                .contentType(org.hamcrest.Matchers.startsWith("text/html"))
                .header("Content-Disposition", org.hamcrest.Matchers.nullValue())
                .body(org.hamcrest.Matchers.containsString("cannot record this access"));
    }

    private RequestSpecification as() {
        return given().auth().oauth2(Tokens.jwt(auditor, "auditor"));
    }

    /** This test's auditor's AUDIT_ACCESS events, oldest first, as their payloads (read as a default auditor). */
    /** The AUDIT_ACCESS event of the refused request with this X-Request-Id, or null. */
    private JsonNode refusal(String requestId) throws Exception {
        List<Map<String, Object>> rows = OperationRows.query(dataSource, "SELECT payload FROM audit_event"
                + " WHERE kind = 'AUDIT_ACCESS' AND payload::jsonb ->> 'requestId' = ?", requestId);
        return rows.isEmpty() ? null : JSON.readTree((String) rows.get(0).get("payload"));
    }

    /** The newest refused-summary event of an address nobody identified. */
    private JsonNode latestSummaryFrom(String address) throws Exception {
        List<Map<String, Object>> rows = OperationRows.query(dataSource, "SELECT payload FROM audit_event"
                + " WHERE kind = 'AUDIT_ACCESS' AND payload::jsonb ->> 'phase' = 'refused-summary'"
                + " AND payload::jsonb ->> 'clientAddress' = ? ORDER BY seq DESC LIMIT 1", address);
        assertThat(rows).as("a summary for " + address).isNotEmpty();
        return JSON.readTree((String) rows.get(0).get("payload"));
    }

    private List<JsonNode> accessEvents() throws Exception {
        return eventsOf(auditor);
    }

    private static List<JsonNode> eventsOf(String subject) throws Exception {
        List<String> payloads = Api.asAuditor().queryParam("type", "AUDIT_ACCESS").queryParam("subject", subject)
                .queryParam("limit", "500").get("/api/v1/audit/events").then().statusCode(200).extract().jsonPath()
                .getList("items.payload");
        return payloads.stream().map(payload -> {
            try {
                JsonNode event = JSON.readTree(payload);
                assertThat(event.get("event").asText()).isEqualTo("AUDIT_ACCESS");
                return event;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
